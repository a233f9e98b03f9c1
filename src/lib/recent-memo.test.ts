import { describe, expect, it } from 'vitest';
import { rememberRecent } from './recent-memo.js';

describe('rememberRecent', () => {
  it('computes each input once while it is remembered', () => {
    const calls: string[] = [];
    const upper = rememberRecent((input: string) => {
      calls.push(input);
      return input.toUpperCase();
    });
    expect([upper('a'), upper('b'), upper('a')]).toEqual(['A', 'B', 'A']);
    expect(calls).toEqual(['a', 'b']);
  });

  it('holds at most `max` inputs, then starts over', () => {
    const calls: string[] = [];
    const same = rememberRecent((input: string) => {
      calls.push(input);
      return input;
    }, 2);
    for (const input of ['a', 'b', 'c', 'a']) same(input);
    // 'c' found the memory full: it was emptied, so 'a' is computed again.
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });

  it('remembers nothing for an input whose computation throws', () => {
    let calls = 0;
    const refuse = rememberRecent((input: string) => {
      calls++;
      if (input.includes('..')) throw new Error('refused');
      return input;
    });
    expect(() => refuse('/a/../b')).toThrow('refused');
    expect(() => refuse('/a/../b')).toThrow('refused');
    expect(calls).toBe(2);
  });
});
