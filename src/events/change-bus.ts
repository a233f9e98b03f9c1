/**
 * Announces changes that caches must drop: the admin services publish, the proxy's caches
 * listen. In one process this is a direct call; the scale-out store relays it between instances.
 */
export type Change =
  | { kind: 'key'; keyId: string; secretHash: string }
  | { kind: 'provider'; providerId: string }
  | { kind: 'project'; projectId: string }
  /** Anything may have changed (a relay lost messages while reconnecting): drop every cache. */
  | { kind: 'all' };

export type ChangeListener = (change: Change) => void | Promise<void>;

export interface ChangeBus {
  /** Resolves once every local listener has applied the change, so the next request sees it. */
  publish(change: Change): Promise<void>;
  subscribe(listener: ChangeListener): () => void;
}

export function createLocalChangeBus(): ChangeBus {
  const listeners = new Set<ChangeListener>();
  return {
    async publish(change) {
      await Promise.all([...listeners].map((listener) => listener(change)));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
