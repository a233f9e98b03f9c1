import type { ProxyReply } from '../pipeline.js';
import type { TapOutput } from './usage-tap.js';

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
  const { body } = reply;
  return { ...reply, body: { deliverTo: (out) => body.deliverTo(holdingLastChunk(out, persisted)) } };
}

/** `out`, with each chunk written one chunk late and the last one only once `persisted()` settles. */
function holdingLastChunk(out: TapOutput, persisted: () => Promise<void>): TapOutput {
  let held: Buffer | string | undefined;
  return {
    write(chunk) {
      const previous = held;
      held = chunk;
      return previous === undefined || out.write(previous);
    },
    end() {
      const release = () => {
        if (held !== undefined) out.write(held);
        out.end();
      };
      persisted().then(release, release);
    },
    destroy: (error) => out.destroy(error),
    once: (event, listener) => out.once(event, listener),
    get writableFinished() {
      return out.writableFinished;
    },
  };
}
