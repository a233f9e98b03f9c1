import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  displayPrefixOf,
  hashesEqual,
  hashSecret,
  issueSecret,
  isWellFormedSecret,
  type SecretKind,
} from './key-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIXES: Record<SecretKind, string> = { key: 'kw_', admin: 'kwa_' };
const KINDS: SecretKind[] = ['key', 'admin'];

/** Independent of the code under test: reads a fixed-width base62 number back. */
function decodeBase62(text: string): number {
  let value = 0;
  for (const char of text) value = value * 62 + BASE62.indexOf(char);
  return value;
}

describe('issued secrets', () => {
  it.each(KINDS)('a %s secret is prefix + 32 base62 + 6 base62 CRC32 of the random part', (kind) => {
    for (let i = 0; i < 50; i++) {
      const { secret } = issueSecret(kind);
      const prefix = PREFIXES[kind];
      expect(secret).toMatch(new RegExp(`^${prefix}[0-9A-Za-z]{38}$`));
      const random = secret.slice(prefix.length, prefix.length + 32);
      const check = secret.slice(prefix.length + 32);
      expect(decodeBase62(check)).toBe(crc32(random));
      expect(isWellFormedSecret(secret, kind)).toBe(true);
    }
  });

  it('never repeats a secret', () => {
    const secrets = new Set(Array.from({ length: 500 }, () => issueSecret('key').secret));
    expect(secrets.size).toBe(500);
  });

  it('stores the SHA-256 hex of the whole secret as its hash', () => {
    const issued = issueSecret('key');
    const expected = createHash('sha256').update(issued.secret).digest('hex');
    expect(issued.hash).toBe(expected);
    expect(issued.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(issued.secret)).toBe(expected);
  });

  it.each(KINDS)('a %s display prefix reveals only the first 6 random characters', (kind) => {
    const issued = issueSecret(kind);
    const prefix = PREFIXES[kind];
    expect(issued.displayPrefix).toHaveLength(prefix.length + 6);
    expect(issued.secret.startsWith(issued.displayPrefix)).toBe(true);
    expect(displayPrefixOf(issued.secret, kind)).toBe(issued.displayPrefix);
  });
});

describe('isWellFormedSecret', () => {
  it('refuses a secret of the other kind', () => {
    const key = issueSecret('key').secret;
    const admin = issueSecret('admin').secret;
    expect(isWellFormedSecret(key, 'admin')).toBe(false);
    expect(isWellFormedSecret(admin, 'key')).toBe(false);
    // Same body, other prefix: the checksum is right but the kind is not.
    expect(isWellFormedSecret(`kwa_${key.slice(3)}`, 'key')).toBe(false);
    expect(isWellFormedSecret(`kw_${admin.slice(4)}`, 'admin')).toBe(false);
  });

  it('refuses any single-character change', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.nat(),
        fc.oneof(fc.constantFrom(...BASE62), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })),
        (kind, at, replacement) => {
          const { secret } = issueSecret(kind);
          const index = at % secret.length;
          fc.pre(secret[index] !== replacement);
          const mutated = secret.slice(0, index) + replacement + secret.slice(index + 1);
          expect(isWellFormedSecret(mutated, kind)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a secret with a character added or removed', () => {
    const { secret } = issueSecret('key');
    expect(isWellFormedSecret(secret.slice(0, -1), 'key')).toBe(false);
    expect(isWellFormedSecret(`${secret}0`, 'key')).toBe(false);
    expect(isWellFormedSecret(`${secret.slice(0, 10)}${secret.slice(11)}`, 'key')).toBe(false);
    expect(isWellFormedSecret('', 'key')).toBe(false);
  });
});

describe('hashesEqual', () => {
  it('is true only for the same hash', () => {
    const a = hashSecret(issueSecret('key').secret);
    const b = hashSecret(issueSecret('key').secret);
    expect(hashesEqual(a, a)).toBe(true);
    expect(hashesEqual(a, b)).toBe(false);
    expect(hashesEqual(a, a.slice(0, 62))).toBe(false);
  });
});
