import { GatewayError } from '../../domain/errors.js';
import type { KeyStatus } from '../../domain/records.js';
import type { ChangeBus } from '../../events/change-bus.js';
import type { Store } from '../../store/store.js';

/**
 * The requests each key has in flight upstream. When a key changes and is no longer active
 * (revoked, suspended — by an operator or through its parent), every one of them is cut at once:
 * one still waiting for the provider's answer is abandoned and refused, an answer being streamed
 * is abandoned and the client's connection ends mid-stream.
 */
export interface OpenStreams {
  /**
   * Holds a request from the moment it goes upstream: `cut` runs if the key stops being active
   * meanwhile (with its new status; `revoked` for a key that is gone). Returns the release.
   */
  hold(keyId: string, cut: (status: KeyStatus) => void): () => void;
  /** Follows `body` until it closes; `upstream` is destroyed with it when the key is cut. */
  track(keyId: string, body: Closing, upstream: { destroy(): void }): void;
}

/** A body being delivered: a stream, or an upstream answer read whole. */
interface Closing {
  destroy(reason: Error): void;
  once(event: 'close', listener: () => void): unknown;
}

export function createOpenStreams({ store, changes }: { store: Store; changes: ChangeBus }): OpenStreams {
  const byKey = new Map<string, Set<(status: KeyStatus) => void>>();

  changes.subscribe(async (change) => {
    if (change.kind !== 'key' || !byKey.get(change.keyId)?.size) return;
    const key = await store.getKey(change.keyId);
    if (key && key.status === 'active') return;
    for (const cut of [...(byKey.get(change.keyId) ?? [])]) cut(key?.status ?? 'revoked');
  });

  const hold: OpenStreams['hold'] = (keyId, cut) => {
    let held = byKey.get(keyId);
    if (!held) {
      held = new Set();
      byKey.set(keyId, held);
    }
    held.add(cut);
    const set = held;
    return () => {
      set.delete(cut);
      if (set.size === 0 && byKey.get(keyId) === set) byKey.delete(keyId);
    };
  };

  return {
    hold,
    track(keyId, body, upstream) {
      const release = hold(keyId, (status) => {
        // The body first, with the reason, so that a reader of it learns why it ended.
        body.destroy(new KeyCutOff(status));
        upstream.destroy();
      });
      body.once('close', release);
    },
  };
}

/** A response body destroyed because its key was revoked or suspended while it was in flight. */
export class KeyCutOff extends Error {
  constructor(readonly status: KeyStatus) {
    super('the key was revoked or suspended');
  }
}

/** The refusal for a request whose key stopped being active while it was in flight. */
export function keyCutError(status: KeyStatus): GatewayError {
  return new GatewayError(
    status === 'suspended' ? 'key_suspended' : 'key_revoked',
    `this API key was ${status === 'suspended' ? 'suspended' : 'revoked'} while its request was in flight`,
  );
}
