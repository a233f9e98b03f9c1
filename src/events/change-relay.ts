import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger.js';
import type { Change, ChangeBus } from './change-bus.js';

/** A channel every instance publishes to and hears from (Redis pub/sub, Postgres LISTEN/NOTIFY). */
export interface ChangeTransport {
  send(message: string): Promise<void>;
  /**
   * Starts delivering every message sent on the channel, this instance's own included. `onGap`
   * fires after the connection was lost and is back: messages may have been missed meanwhile.
   */
  listen(onMessage: (message: string) => void, onGap: () => void): Promise<void>;
  close(): Promise<void>;
}

export interface RelayedChangeBus extends ChangeBus {
  close(): Promise<void>;
}

/**
 * Extends a local bus across instances: a change published here is applied locally first (so the
 * admin call's own instance sees it before answering), then sent to the others, which apply it to
 * their caches. A lost connection drops every cache once it is back; the caches' TTL covers the gap.
 */
export async function relayChanges(
  local: ChangeBus,
  transport: ChangeTransport,
  logger: Logger,
): Promise<RelayedChangeBus> {
  const origin = randomUUID();
  const apply = (change: Change) =>
    local.publish(change).catch((error) => logger.error({ err: error }, 'applying a relayed change failed'));

  await transport.listen(
    (message) => {
      let parsed: { origin?: unknown; change?: Change };
      try {
        parsed = JSON.parse(message);
      } catch {
        return;
      }
      if (parsed.origin !== origin && parsed.change) void apply(parsed.change);
    },
    () => {
      logger.warn('change relay reconnected; dropping every cache in case changes were missed');
      void apply({ kind: 'all' });
    },
  );

  return {
    async publish(change) {
      await local.publish(change);
      try {
        await transport.send(JSON.stringify({ origin, change }));
      } catch (error) {
        // The change is stored; other instances pick it up when their cache entries expire.
        logger.warn({ err: error }, 'could not relay a change to other instances; their caches expire it');
      }
    },
    subscribe: (listener) => local.subscribe(listener),
    close: () => transport.close(),
  };
}
