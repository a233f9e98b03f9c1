import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

/** What prom-client's registry reads from a metric to render it. */
interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: { metricName?: string; labels: Record<string, string | number>; value: number }[];
}

/** One labelled series of a counter: a plain number, added to on the hot path. */
export interface CounterSeries {
  inc(value?: number): void;
}

/** One labelled series of a histogram: plain bucket counts, added to on the hot path. */
export interface HistogramSeries {
  observe(value: number): void;
}

/**
 * A counter whose series are looked up once and then updated as plain numbers. prom-client's own
 * labelled children hash their label object on every update, which was most of metering's cost;
 * these render through the same registry, in the same exposition format.
 */
export class SeriesCounter {
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for `labels`; the same one for equal labels. */
  series(labels: Labels): CounterSeries {
    const found = entryFor(this.#series, labels, () => ({ labels, value: 0 }));
    return {
      inc(value = 1) {
        found.value += value;
      },
    };
  }

  get(): Exported {
    const values = [...this.#series.values()].map(({ labels, value }) => ({ labels, value }));
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values };
  }

  reset(): void {
    this.#series.clear();
  }
}

/** A histogram with the same once-looked-up series as {@link SeriesCounter}. */
export class SeriesHistogram {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  series(labels: Labels): HistogramSeries {
    const found = entryFor(this.#series, labels, () => ({
      labels,
      counts: this.upperBounds.map(() => 0),
      sum: 0,
      count: 0,
    }));
    const bounds = this.upperBounds;
    return {
      observe(value) {
        found.sum += value;
        found.count += 1;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= (bounds[i] as number)) {
            (found.counts[i] as number)++;
            return;
          }
        }
      },
    };
  }

  get(): Exported {
    const values: Exported['values'] = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }

  reset(): void {
    this.#series.clear();
  }
}

/** The entry of a metric's series for `labels` (equal labels in any key order are one series). */
function entryFor<T>(series: Map<string, T>, labels: Labels, create: () => T): T {
  const id = Object.keys(labels)
    .sort()
    .map((name) => `${name}\u0000${labels[name]}`)
    .join('\u0001');
  let entry = series.get(id);
  if (!entry) {
    entry = create();
    series.set(id, entry);
  }
  return entry;
}
