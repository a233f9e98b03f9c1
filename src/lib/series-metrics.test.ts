import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram } from './series-metrics.js';

const BUCKETS = [0.1, 1, 10];
const labelsArb = fc.record({
  project: fc.constantFrom('web', 'batch', 'a"b\\c'),
  model: fc.constantFrom('gpt-4o', 'claude'),
});

describe('series metrics', () => {
  it('render exactly as prom-client’s own counter and histogram would, for any observations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(labelsArb, fc.double({ min: 0, max: 50, noNaN: true })), { maxLength: 40 }),
        async (observations) => {
          const reference = new Registry();
          const refCounter = new Counter({
            name: 'c_total',
            help: 'c',
            labelNames: ['project', 'model'],
            registers: [reference],
          });
          const refHistogram = new Histogram({
            name: 'h',
            help: 'h',
            labelNames: ['project', 'model'],
            buckets: BUCKETS,
            registers: [reference],
          });
          const ours = new Registry();
          const counter = new SeriesCounter('c_total', 'c', ours);
          const histogram = new SeriesHistogram('h', 'h', BUCKETS, ours);
          for (const [labels, value] of observations) {
            refCounter.inc(labels, value);
            refHistogram.observe(labels, value);
            counter.series({ ...labels }).inc(value);
            histogram.series({ ...labels }).observe(value);
          }
          expect(await ours.metrics()).toBe(await reference.metrics());
        },
      ),
    );
  });

  it('gives the same series for equal labels in any key order', async () => {
    const registry = new Registry();
    const counter = new SeriesCounter('c_total', 'c', registry);
    counter.series({ a: '1', b: '2' }).inc();
    counter.series({ b: '2', a: '1' }).inc(2);
    expect(await registry.metrics()).toContain('c_total{a="1",b="2"} 3');
  });
});
