import { encodeBase62, randomBase62 } from './base62.js';

/** Record ids: a readable type prefix and 20 random base62 chars, e.g. `key_3hT...`. */
export type IdPrefix = 'prv' | 'cred' | 'prj' | 'key' | 'adt' | 'req' | 'alr' | 'dlv' | 'aud';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(20)}`;
}

/**
 * Ids that sort by creation time: 8 base62 chars of the millisecond timestamp, then 12 random (~71
 * bits). Rows keyed by them land at the end of their primary-key index instead of anywhere in it:
 * for usage events, random keys made the SQLite insert about 3x slower, more so as the table grew.
 */
export function newTimeOrderedId(prefix: IdPrefix, nowMs: number): string {
  return `${prefix}_${encodeBase62(Math.max(0, Math.floor(nowMs)), 8)}${randomBase62(12)}`;
}
