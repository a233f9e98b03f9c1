/** One operation's outcome within a batch that was sent and answered. */
export type Settled<Result> = { ok: true; value: Result } | { ok: false; error: Error };

const DEFAULT_MAX_BATCH = 64;

/**
 * Operations submitted during one turn of the event loop leave together once the turn ends, one
 * batch per group (e.g. per Redis Cluster hash tag), in the order they were submitted. Each caller
 * gets its own operation's outcome; if a batch cannot be sent or answered at all, every operation
 * in it fails with that error. Nothing waits longer than the turn it was submitted in.
 */
export function batchPerTurn<Op, Result>(options: {
  groupOf: (op: Op) => string;
  send: (ops: Op[]) => Promise<Settled<Result>[]>;
  maxBatch?: number;
}): (op: Op) => Promise<Result> {
  interface Waiting {
    op: Op;
    resolve: (value: Result) => void;
    reject: (error: unknown) => void;
  }
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  // What waits for the end of this turn; a flush is scheduled when the first operation arrives.
  let groups = new Map<string, Waiting[]>();

  const dispatch = (waiting: Waiting[]) => {
    const answered = (results: Settled<Result>[]) => {
      if (results.length !== waiting.length) {
        failed(new Error(`a batch of ${waiting.length} operations got ${results.length} answers`));
        return;
      }
      for (let i = 0; i < waiting.length; i++) {
        const result = results[i] as Settled<Result>;
        const { resolve, reject } = waiting[i] as Waiting;
        if (result.ok) resolve(result.value);
        else reject(result.error);
      }
    };
    const failed = (error: unknown) => {
      for (const { reject } of waiting) reject(error);
    };
    let sent: Promise<Settled<Result>[]>;
    try {
      sent = options.send(waiting.map((w) => w.op));
    } catch (error) {
      failed(error);
      return;
    }
    sent.then(answered, failed);
  };

  const flush = () => {
    const due = groups;
    groups = new Map();
    for (const waiting of due.values()) {
      if (waiting.length <= maxBatch) dispatch(waiting);
      else for (let i = 0; i < waiting.length; i += maxBatch) dispatch(waiting.slice(i, i + maxBatch));
    }
  };

  return (op) =>
    new Promise<Result>((resolve, reject) => {
      if (groups.size === 0) setImmediate(flush);
      const group = options.groupOf(op);
      let waiting = groups.get(group);
      if (!waiting) {
        waiting = [];
        groups.set(group, waiting);
      }
      waiting.push({ op, resolve, reject });
    });
}
