import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerName } from './header-names.js';

const decoded = (raw: Buffer) => raw.toString('latin1').toLowerCase();
/** As undici hands them: a slice of a larger buffer. */
const slice = (text: string) => Buffer.from(`..${text}..`, 'latin1').subarray(2, 2 + text.length);

describe('headerName', () => {
  it('is the lower-cased latin1 text of any bytes, called again and again in any case', () => {
    const names = fc.constantFrom(
      'Content-Type',
      'x-request-id',
      'OpenAI-Version',
      'x-ratelimit-limit-requests',
    );
    const anyName = fc.oneof(
      names,
      fc.string({ unit: fc.constantFrom(...'aAzZ-_#`@[{0'), minLength: 0, maxLength: 6 }),
      fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    );
    fc.assert(
      fc.property(fc.array(anyName, { maxLength: 30 }), (texts) => {
        for (const text of [...texts, ...texts.map((t) => t.toUpperCase())]) {
          const raw = slice(text);
          expect(headerName(raw)).toBe(decoded(raw));
        }
      }),
    );
  });

  it('tells apart names whose hashes collide', () => {
    // 31·'a' + 'a' = 31·'c' + '#': the same hash, different names.
    expect(headerName(slice('aa'))).toBe('aa');
    expect(headerName(slice('c#'))).toBe('c#');
    expect(headerName(slice('AA'))).toBe('aa');
    expect(headerName(slice('C#'))).toBe('c#');
  });
});
