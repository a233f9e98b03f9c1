import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from './lazy-child-logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)));
      callback();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger };
}

describe('the lazy per-request logger', () => {
  it('builds no child until something is logged, then logs with the request id', () => {
    const { lines, logger } = capture();
    let children = 0;
    const counting = Object.assign(Object.create(logger), {
      child: (...args: Parameters<FastifyBaseLogger['child']>) => {
        children++;
        return logger.child(...args);
      },
    }) as FastifyBaseLogger;

    const log = lazyChildLogger(counting, { reqId: 'req_1' }, {});
    expect(typeof log.info).toBe('function');
    expect(log.level).toBe('info');
    expect(children).toBe(1);

    // What Fastify checks on every request's logger.
    const quiet = lazyChildLogger(counting, { reqId: 'req_2' }, {});
    for (const method of ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'child'] as const) {
      expect(typeof quiet[method]).toBe('function');
    }
    expect(children).toBe(1);

    log.warn({ detail: 1 }, 'stream ended early');
    log.info('again');
    expect(children).toBe(1);
    expect(lines).toMatchObject([
      { reqId: 'req_1', detail: 1, msg: 'stream ended early' },
      { reqId: 'req_1', msg: 'again' },
    ]);
  });
});
