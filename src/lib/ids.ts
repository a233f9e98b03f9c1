import { randomBase62 } from './base62.js';

/** Record ids: a readable type prefix and 20 random base62 chars, e.g. `key_3hT...`. */
export type IdPrefix = 'prv' | 'cred' | 'prj' | 'key' | 'adt' | 'req' | 'alr' | 'dlv' | 'aud';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(20)}`;
}
