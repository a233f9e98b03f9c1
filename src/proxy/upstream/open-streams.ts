import type { Readable } from 'node:stream';
import type { ChangeBus } from '../../events/change-bus.js';
import type { Store } from '../../store/store.js';

/**
 * The responses each key is still streaming. When a key changes and is no longer active (revoked,
 * suspended — by an operator or through its parent), its open streams are cut at once: the
 * upstream request is abandoned and the client's connection ends mid-stream.
 */
export interface OpenStreams {
  /** Follows `body` until it closes; `upstream` is destroyed with it when the key is cut. */
  track(keyId: string, body: Readable, upstream: Readable): void;
  count(keyId: string): number;
}

export function createOpenStreams({ store, changes }: { store: Store; changes: ChangeBus }): OpenStreams {
  const byKey = new Map<string, Set<() => void>>();

  changes.subscribe(async (change) => {
    if (change.kind !== 'key' || !byKey.get(change.keyId)?.size) return;
    const key = await store.getKey(change.keyId);
    if (key && key.status === 'active') return;
    for (const cut of [...(byKey.get(change.keyId) ?? [])]) cut();
  });

  return {
    track(keyId, body, upstream) {
      let streams = byKey.get(keyId);
      if (!streams) {
        streams = new Set();
        byKey.set(keyId, streams);
      }
      const cut = () => {
        upstream.destroy();
        body.destroy(new Error('the key was revoked or suspended'));
      };
      streams.add(cut);
      body.once('close', () => {
        streams.delete(cut);
        if (streams.size === 0 && byKey.get(keyId) === streams) byKey.delete(keyId);
      });
    },
    count: (keyId) => byKey.get(keyId)?.size ?? 0,
  };
}
