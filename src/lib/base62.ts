import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62 = /^[0-9A-Za-z]*$/;

/**
 * Random bytes are drawn from the CSPRNG 4 KiB at a time (as `crypto.randomUUID` does): one call
 * per id cost more than the rest of building it, and every request takes two ids. Each byte is
 * handed out once.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

function nextRandomByte(): number {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  return pool[offset++] as number;
}

/** Random base62 string without modulo bias (bytes >= 248 are discarded). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = nextRandomByte();
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

/** Fixed-width base62 encoding of a non-negative integer, left-padded with '0'. */
export function encodeBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

export function isBase62(text: string): boolean {
  return BASE62.test(text);
}
