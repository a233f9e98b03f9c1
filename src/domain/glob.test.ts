import { describe, expect, it } from 'vitest';
import { compileGlobs } from './glob.js';

describe('scope globs', () => {
  it('allows everything when the list is absent or holds a bare *', () => {
    for (const patterns of [undefined, null, ['*'], ['gpt-4o', '*']]) {
      const match = compileGlobs(patterns);
      expect(match('gpt-4o')).toBe(true);
      expect(match('anything/at-all')).toBe(true);
    }
  });

  it('allows nothing when the list is empty', () => {
    expect(compileGlobs([])('gpt-4o')).toBe(false);
  });

  it('matches plain patterns exactly', () => {
    const match = compileGlobs(['gpt-4o', 'chat/completions']);
    expect(match('gpt-4o')).toBe(true);
    expect(match('chat/completions')).toBe(true);
    expect(match('gpt-4o-mini')).toBe(false);
    expect(match('GPT-4o')).toBe(false);
    expect(match('xgpt-4o')).toBe(false);
  });

  it('lets * stand for any run of characters, including none', () => {
    const match = compileGlobs(['gpt-4o*', 'claude-*-latest', 'audio/*']);
    expect(match('gpt-4o')).toBe(true);
    expect(match('gpt-4o-mini')).toBe(true);
    expect(match('claude-3-5-sonnet-latest')).toBe(true);
    expect(match('audio/transcriptions')).toBe(true);
    expect(match('gpt-4')).toBe(false);
    expect(match('xgpt-4o')).toBe(false);
    expect(match('claude-3-5-sonnet')).toBe(false);
    expect(match('audio')).toBe(false);
  });

  it('treats regular-expression characters literally', () => {
    const match = compileGlobs(['gpt-4.1*', 'a+b?', 'x(y)|z*', '[ab]*']);
    expect(match('gpt-4.1-mini')).toBe(true);
    expect(match('gpt-4x1-mini')).toBe(false);
    expect(match('a+b?')).toBe(true);
    expect(match('aab')).toBe(false);
    expect(match('x(y)|z-1')).toBe(true);
    expect(match('z-1')).toBe(false);
    expect(match('[ab]c')).toBe(true);
    expect(match('ac')).toBe(false);
  });
});
