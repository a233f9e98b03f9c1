import { hash, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { encodeBase62, isBase62, randomBase62 } from '../lib/base62.js';

/**
 * Secret formats. A secret is `<prefix><32 random base62><6 base62 CRC32 of the random part>`,
 * the GitHub token design: a scanner can reject a look-alike offline, and the gateway can refuse
 * a malformed one before touching storage. Only the SHA-256 hash and a display prefix are kept.
 */
export type SecretKind = 'key' | 'admin';

const PREFIX: Record<SecretKind, string> = { key: 'kw_', admin: 'kwa_' };
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const DISPLAY_RANDOM_CHARS = 6;

export interface IssuedSecret {
  secret: string;
  hash: string;
  displayPrefix: string;
}

function checksum(random: string): string {
  return encodeBase62(crc32(random), CHECKSUM_LENGTH);
}

export function issueSecret(kind: SecretKind): IssuedSecret {
  const random = randomBase62(RANDOM_LENGTH);
  const secret = `${PREFIX[kind]}${random}${checksum(random)}`;
  return { secret, hash: hashSecret(secret), displayPrefix: displayPrefixOf(secret, kind) };
}

/** True when `text` has the shape and a valid checksum of a secret of `kind`. */
export function isWellFormedSecret(text: string, kind: SecretKind): boolean {
  const prefix = PREFIX[kind];
  if (text.length !== prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH || !text.startsWith(prefix))
    return false;
  const body = text.slice(prefix.length);
  if (!isBase62(body)) return false;
  const random = body.slice(0, RANDOM_LENGTH);
  return body.slice(RANDOM_LENGTH) === checksum(random);
}

/** SHA-256 in hex; the one-shot `hash` costs a third of a `createHash` chain, once per request. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Constant-time equality of two hex hashes. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function displayPrefixOf(secret: string, kind: SecretKind): string {
  return secret.slice(0, PREFIX[kind].length + DISPLAY_RANDOM_CHARS);
}
