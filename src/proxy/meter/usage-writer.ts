import type { UsageEvent } from '../../domain/usage.js';
import type { Logger } from '../../lib/logger.js';
import type { Store } from '../../store/store.js';

export interface UsageWriter {
  /** Never waits on storage: the event joins the next batch. */
  record(event: UsageEvent): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Events waiting to be written. */
  depth(): number;
  /** Flushes and stops the timer; used on shutdown. */
  close(): Promise<void>;
}

/** Beyond this many waiting events the writer logs loudly on every failed flush. */
const WARN_DEPTH = 50_000;

/**
 * Usage events are written off the hot path in batches, one transaction each. A failed write keeps
 * its events queued and is retried on the next tick, so a completed request's usage is not lost
 * while storage is briefly unavailable.
 */
export function createUsageWriter(deps: {
  store: Store;
  logger: Logger;
  flushIntervalMs: number;
  batchSize: number;
}): UsageWriter {
  let queue: UsageEvent[] = [];
  let running: Promise<void> | undefined;
  let closed = false;

  const writeBatches = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, deps.batchSize);
      const lastUsed = new Map<string, number>();
      for (const event of batch)
        lastUsed.set(event.keyId, Math.max(lastUsed.get(event.keyId) ?? 0, event.ts));
      try {
        await deps.store.insertUsage(batch);
        await deps.store.touchKeys(lastUsed);
      } catch (error) {
        const level = queue.length > WARN_DEPTH ? 'error' : 'warn';
        deps.logger[level]({ err: error, queued: queue.length }, 'usage write failed; will retry');
        throw error;
      }
      queue = queue.slice(batch.length);
    }
  };

  const flush = (): Promise<void> => {
    if (!running) {
      running = writeBatches().finally(() => {
        running = undefined;
      });
    }
    return running;
  };

  const tick = () => {
    if (queue.length > 0) flush().catch(() => undefined);
  };
  const timer = setInterval(tick, deps.flushIntervalMs);
  timer.unref();

  return {
    record(event) {
      queue.push(event);
      if (queue.length >= deps.batchSize && !running) tick();
      if (closed) tick();
    },
    async flush() {
      // A write already in progress may have started before the newest events arrived.
      while (queue.length > 0) await flush();
    },
    depth: () => queue.length,
    async close() {
      closed = true;
      clearInterval(timer);
      while (queue.length > 0) await flush();
    },
  };
}
