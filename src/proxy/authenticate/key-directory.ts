import { compileGlobs, type Matcher } from '../../domain/glob.js';
import { compileIpAllow, type IpMatcher } from '../../domain/ip-allow.js';
import type { KeyRecord } from '../../domain/records.js';
import type { ChangeBus } from '../../events/change-bus.js';
import type { Clock } from '../../lib/clock.js';
import type { Store } from '../../store/store.js';

/** A key with its scope and IP rules compiled once, so the hot path only runs prepared checks. */
export interface CompiledKey {
  record: KeyRecord;
  allowsProvider: Matcher;
  allowsModel: Matcher;
  allowsEndpoint: Matcher;
  allowsIp: IpMatcher;
}

export interface KeyDirectory {
  /** The key whose secret hashes to `secretHash`, from memory when possible. */
  byHash(secretHash: string): Promise<CompiledKey | undefined>;
  /** The keys that delegated this one, parent first (empty for operator-made keys); cached. */
  ancestors(key: KeyRecord): Promise<KeyRecord[]>;
}

/** Unknown hashes are remembered briefly so a flood of made-up (but well-formed) keys stays off the store. */
const NEGATIVE_TTL_MS = 5_000;
const MAX_NEGATIVE = 10_000;

export function compileKey(record: KeyRecord): CompiledKey {
  return {
    record,
    allowsProvider: compileGlobs(record.scopes.providers),
    allowsModel: compileGlobs(record.scopes.models),
    allowsEndpoint: compileGlobs(record.scopes.endpoints),
    allowsIp: compileIpAllow(record.ipAllow),
  };
}

/**
 * Keys are cached until a change says otherwise. `ttlMs` bounds how long a cached key is trusted
 * without hearing of changes, as a safety net when changes come from other instances.
 */
export function createKeyDirectory({
  store,
  changes,
  clock,
  ttlMs = Number.POSITIVE_INFINITY,
}: {
  store: Store;
  changes: ChangeBus;
  clock: Clock;
  ttlMs?: number;
}) {
  const known = new Map<string, { key: CompiledKey; until: number }>();
  const unknown = new Map<string, number>();
  const byId = new Map<string, KeyRecord>();

  changes.subscribe((change) => {
    if (change.kind === 'all') {
      known.clear();
      unknown.clear();
      byId.clear();
    }
    if (change.kind !== 'key') return;
    // A rotated key is cached under its old and new hashes: drop every entry of that key.
    for (const [hash, entry] of known) {
      if (entry.key.record.id === change.keyId) known.delete(hash);
    }
    known.delete(change.secretHash);
    byId.delete(change.keyId);
    unknown.clear();
  });

  const directory: KeyDirectory = {
    async ancestors(key) {
      const chain: KeyRecord[] = [];
      for (let id = key.parentId; id !== null && chain.length < 16; ) {
        let record = byId.get(id);
        if (!record) {
          record = await store.getKey(id);
          if (!record) break;
          byId.set(id, record);
        }
        chain.push(record);
        id = record.parentId;
      }
      return chain;
    },
    async byHash(secretHash) {
      const hit = known.get(secretHash);
      if (hit && hit.until > clock.now()) return hit.key;
      const missUntil = unknown.get(secretHash);
      if (missUntil !== undefined && missUntil > clock.now()) return undefined;

      const record = await store.findKeyByHash(secretHash);
      if (!record) {
        if (unknown.size >= MAX_NEGATIVE) unknown.clear();
        unknown.set(secretHash, clock.now() + NEGATIVE_TTL_MS);
        return undefined;
      }
      const compiled = compileKey(record);
      known.set(secretHash, { key: compiled, until: clock.now() + ttlMs });
      return compiled;
    },
  };
  return directory;
}
