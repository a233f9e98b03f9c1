import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth } from './json-depth.js';

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
      }),
    );
  });

  it('stops early on a huge nesting', () => {
    expect(exceedsJsonDepth('['.repeat(1_000_000), 64)).toBe(true);
  });
});
