import type { UsageEvent } from '../../domain/usage.js';
import type { Logger } from '../../lib/logger.js';
import type { Store } from '../../store/store.js';

export interface UsageWriter {
  /** Never waits on storage: the event joins the next batch. */
  record(event: UsageEvent): void;
  /**
   * Resolves once every event recorded before the call is stored: not later events, so under steady
   * load a caller waits for its own batch, not for the queue to run dry. Rejects if a write fails.
   */
  flush(): Promise<void>;
  /** Events waiting to be written. */
  depth(): number;
  /** The queue holds `maxQueued` events: take no new requests until storage catches up. */
  full(): boolean;
  /** Flushes and stops the timer; used on shutdown. */
  close(): Promise<void>;
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Usage events are written off the hot path in batches, one transaction each. A failed write keeps
 * its events queued and is retried on the next tick, so a completed request's usage is not lost
 * while storage is unavailable. The queue is bounded by `maxQueued`: past half of it every failed
 * write logs at error level; when full, `full()` tells the gateway to refuse new requests (an event
 * already recorded is never dropped).
 */
export function createUsageWriter(deps: {
  store: Store;
  logger: Logger;
  flushIntervalMs: number;
  batchSize: number;
  maxQueued?: number;
  /** Counts failed writes (a metric). */
  onWriteFailed?: () => void;
}): UsageWriter {
  const maxQueued = deps.maxQueued ?? Number.POSITIVE_INFINITY;
  let queue: UsageEvent[] = [];
  let running: Promise<void> | undefined;
  let closed = false;
  // Events are stored in the order they were recorded, and leave the queue once stored: the count
  // recorded so far, less what is still queued, says how far storage has come.
  let recorded = 0;
  const stored = () => recorded - queue.length;
  let waiters: { through: number; resolve: () => void; reject: (error: unknown) => void }[] = [];

  const writeBatches = async () => {
    while (queue.length > 0) {
      // A write starts at the end of the turn it was asked for in (or its predecessor finished in):
      // the answers that finish during that turn join it, one statement for all of them. Started at
      // once, it took only the first of them, and each of the others waited for a write of its own.
      await endOfTurn();
      const batch = queue.slice(0, deps.batchSize);
      try {
        await deps.store.insertUsage(batch);
      } catch (error) {
        deps.onWriteFailed?.();
        if (queue.length >= maxQueued / 2) {
          deps.logger.error(
            { err: error, queued: queue.length, max_queued: maxQueued },
            `USAGE BUFFER FILLING: ${queue.length} of ${maxQueued} events waiting for storage; new requests are refused when it is full`,
          );
        } else deps.logger.warn({ err: error, queued: queue.length }, 'usage write failed; will retry');
        for (const waiter of waiters) waiter.reject(error);
        waiters = [];
        throw error;
      }
      queue = queue.slice(batch.length);
      if (waiters.length > 0) {
        const through = stored();
        const done = waiters.filter((waiter) => waiter.through <= through);
        waiters = waiters.filter((waiter) => waiter.through > through);
        for (const waiter of done) waiter.resolve();
      }
    }
  };

  const flush = (): Promise<void> => {
    if (!running) {
      running = writeBatches().finally(() => {
        running = undefined;
        // Events recorded as the last batch finished have someone waiting for them.
        if (waiters.length > 0 && queue.length > 0) flush().catch(() => undefined);
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
      recorded++;
      if (queue.length >= deps.batchSize && !running) tick();
      if (closed) tick();
    },
    flush() {
      const through = recorded;
      if (stored() >= through) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ through, resolve, reject });
        // A write in progress may have started before these events arrived: one follows it.
        flush().catch(() => undefined);
      });
    },
    depth: () => queue.length,
    full: () => queue.length >= maxQueued,
    async close() {
      closed = true;
      clearInterval(timer);
      while (queue.length > 0) await flush();
    },
  };
}
