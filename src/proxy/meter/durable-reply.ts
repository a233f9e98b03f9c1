import { pipeline, Transform } from 'node:stream';
import type { ProxyReply } from '../pipeline.js';

/**
 * Makes a reply's usage durable before the client can have the whole of it: the last chunk of the
 * body is held back until `persisted()` settles (the usage writer flushed the event metered at the
 * body's end), so an instance killed at any moment never leaves a client holding a complete answer
 * that has no usage event. `persisted` is bounded by the caller: if storage is down, the answer
 * goes out anyway and the event stays queued for retry.
 */
export function durableReply(
  reply: ProxyReply,
  persisted: () => Promise<void>,
): ProxyReply | Promise<ProxyReply> {
  if (reply.kind === 'json' || reply.kind === 'buffer') return persisted().then(() => reply);
  if (reply.kind !== 'stream') return reply;
  let held: Buffer | undefined;
  const holdLast = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback) {
      persisted().then(
        () => callback(null, held),
        () => callback(null, held),
      );
    },
  });
  // pipeline: a client that goes away destroys holdLast, which destroys (aborts) the upstream body.
  pipeline(reply.body, holdLast, () => undefined);
  return { ...reply, body: holdLast };
}
