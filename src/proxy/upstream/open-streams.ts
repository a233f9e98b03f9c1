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

/** One request held for a key: a link in its key's list, emptied when released. */
interface Held {
  cut: ((status: KeyStatus) => void) | undefined;
  prev: Held | undefined;
  next: Held | undefined;
}

/** A key's held requests, most recent last. */
interface HeldList {
  first: Held | undefined;
  last: Held | undefined;
}

/**
 * The held requests are a linked list per key, not a `Set`: under load they are held and released
 * thousands of times a second, and V8 rebuilds a `Set`'s hash table as entries come and go. The
 * table it leaves behind keeps its entries and a link to its successor, so once one such table had
 * outlived two young-generation collections, every later table and every request it had held (its
 * whole state, through `cut`) stayed alive until the next full collection. Under steady load that
 * tripled the cost of young collections (docs/performance.md, step 49). A released link is emptied,
 * so it holds nothing, whatever generation it is in.
 */
export function createOpenStreams({ store, changes }: { store: Store; changes: ChangeBus }): OpenStreams {
  const byKey = new Map<string, HeldList>();

  changes.subscribe(async (change) => {
    if (change.kind !== 'key' || !byKey.has(change.keyId)) return;
    const key = await store.getKey(change.keyId);
    if (key && key.status === 'active') return;
    // Collected first: each cut releases its own link.
    const cuts: ((status: KeyStatus) => void)[] = [];
    for (let held = byKey.get(change.keyId)?.first; held; held = held.next) if (held.cut) cuts.push(held.cut);
    for (const cut of cuts) cut(key?.status ?? 'revoked');
  });

  const listOf = (keyId: string): HeldList => {
    let list = byKey.get(keyId);
    if (!list) {
      list = { first: undefined, last: undefined };
      byKey.set(keyId, list);
    }
    return list;
  };

  const hold: OpenStreams['hold'] = (keyId, cut) => {
    const list = listOf(keyId);
    const held: Held = { cut, prev: list.last, next: undefined };
    if (list.last) list.last.next = held;
    else list.first = held;
    list.last = held;
    return () => {
      if (!held.cut) return;
      if (held.prev) held.prev.next = held.next;
      else list.first = held.next;
      if (held.next) held.next.prev = held.prev;
      else list.last = held.prev;
      held.cut = undefined;
      held.prev = undefined;
      held.next = undefined;
      if (!list.first && byKey.get(keyId) === list) byKey.delete(keyId);
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
