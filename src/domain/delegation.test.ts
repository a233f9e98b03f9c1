import { describe, expect, it } from 'vitest';
import { narrowScopes, patternWithin } from './delegation.js';

describe('delegated scopes', () => {
  it.each([
    ['gpt-4o-mini', 'gpt-4o*', true],
    ['gpt-4o-mini*', 'gpt-4o*', true],
    ['gpt-4*', 'gpt-4o*', false],
    ['*', 'gpt-4o*', false],
    ['claude-x', 'gpt-4o*', false],
    ['anything', '*', true],
    ['a-b-c', 'a-*-c', true],
    ['a-*-c', 'a-*-c', true],
    ['a-b*', 'a-*-c', false],
  ])('%s within %s is %s', (child, parent, within) => {
    expect(patternWithin(child, parent)).toBe(within);
  });

  it('an omitted list inherits the parent list', () => {
    expect(narrowScopes({ models: ['gpt-4o*'] }, {})).toEqual({ scopes: { models: ['gpt-4o*'] } });
  });

  it('a list wider than the parent names the entry outside it', () => {
    expect(narrowScopes({ models: ['gpt-4o*'] }, { models: ['gpt-4o-mini', 'o3'] })).toEqual({
      field: 'models',
      entry: 'o3',
    });
  });

  it('any child list is within a parent without that list', () => {
    expect(narrowScopes({}, { endpoints: ['embeddings'] })).toEqual({
      scopes: { endpoints: ['embeddings'] },
    });
  });
});
