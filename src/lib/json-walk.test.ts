import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, nestsDeeperThan, topLevelMember } from './json-walk.js';

/** How deeply a parsed value nests objects and arrays. */
const depthOf = (value: unknown): number =>
  typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;

describe('JSON depth', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(exceedsJsonDepth('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(exceedsJsonDepth('{"a":[{"b":1}]}', 2)).toBe(true);
    expect(exceedsJsonDepth('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(exceedsJsonDepth('{"a":"\\\\","b":[[1]]}', 2)).toBe(true);
  });

  it('agrees with the depth of the parsed value, strings full of brackets, quotes and backslashes included', () => {
    const text = fc.string({ unit: fc.constantFrom('[', '{', ']', '}', '"', '\\', 'a', 'é') });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(text, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.nat(8), (parsed, max) => {
        expect(exceedsJsonDepth(JSON.stringify(parsed), max)).toBe(depthOf(parsed) > max);
        expect(nestsDeeperThan(parsed, max)).toBe(depthOf(parsed) > max);
      }),
    );
  });

  it('stops early on a huge nesting', () => {
    expect(exceedsJsonDepth('['.repeat(1_000_000), 64)).toBe(true);
    // JSON.parse builds it without recursing; the check on the value must not recurse past its limit.
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(nestsDeeperThan(deep, 64)).toBe(true);
    expect(nestsDeeperThan(deep, 100_000)).toBe(false);
  });
});

const member = (text: string) => topLevelMember(Buffer.from(text, 'utf8'), 'usage');

/** JSON objects whose members may include `usage`, also inside nested values. */
const documents = fc.dictionary(
  fc.oneof(fc.constant('usage'), fc.string(), fc.constant('us"age'), fc.constant('usage\\')),
  fc.jsonValue(),
);

describe('topLevelMember', () => {
  it('finds what JSON.parse finds, however the document is laid out', () => {
    fc.assert(
      fc.property(documents, fc.constantFrom(undefined, 1, '\t'), (doc, indent) => {
        const text = JSON.stringify(doc, null, indent);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const expected = Object.hasOwn(parsed, 'usage') ? parsed.usage : undefined;
        expect(member(text)).toEqual(expected);
      }),
    );
  });

  it('keeps the last of repeated members, as JSON.parse does', () => {
    expect(member('{"usage":{"a":1},"x":[1,{"usage":3}],"usage":{"a":2}}')).toEqual({ a: 2 });
    expect(member('{"usage":1,"usage":2}')).toBe(2);
  });

  it('ignores usage that is not a member of the top-level object', () => {
    expect(member('{"choices":[{"usage":1}],"meta":{"usage":2}}')).toBeUndefined();
    expect(member('{"text":"\\"usage\\":{\\"x\\":1}"}')).toBeUndefined();
    expect(member('[{"usage":1}]')).toBeUndefined();
    expect(member('"usage"')).toBeUndefined();
  });

  it('tells escaped quotes from closing ones', () => {
    expect(member('{"a":"\\\\","usage":5}')).toBe(5);
    expect(member('{"a":"\\\\\\"","usage":6}')).toBe(6);
    expect(member('{"usage\\"":1}')).toBeUndefined();
  });

  it('gives nothing for a document that is cut short or has more after it', () => {
    const text = '{"id":"x","choices":[{"message":{"content":"hi }"}}],"usage":{"total_tokens":3}}';
    for (let end = 0; end < text.length; end++) expect(member(text.slice(0, end))).toBeUndefined();
    expect(member(`${text} \n`)).toEqual({ total_tokens: 3 });
    expect(member(`${text}{}`)).toBeUndefined();
    expect(member('<html>502 Bad Gateway</html>')).toBeUndefined();
    expect(member('{"usage":{"a":}}')).toBeUndefined();
    expect(member('')).toBeUndefined();
  });

  it('reads multi-byte text around the member', () => {
    expect(member('{"content":"héllo ✓ 🎉","usage":{"n":"ü"}}')).toEqual({ n: 'ü' });
  });
});
