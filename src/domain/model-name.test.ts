import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidModelName } from './model-name.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/@-';
const allowedChar = fc.constantFrom(...ALPHABET);
const hasDotDotSegment = (name: string) => name.split('/').includes('..');

describe('model names', () => {
  it('accepts real model names', () => {
    for (const name of [
      'gpt-4o-mini',
      'gpt-4o-2024-08-06',
      'claude-sonnet-4-5@20250929',
      'meta-llama/Llama-3.1-8B-Instruct',
      'ft:gpt-4o-mini:org:name:abc123',
      'llama3.2:latest',
      'a..b',
      'x'.repeat(128),
    ]) {
      expect(isValidModelName(name), name).toBe(true);
    }
  });

  it('accepts any 1-128 characters from the alphabet without a ".." segment', () => {
    fc.assert(
      fc.property(fc.string({ unit: allowedChar, minLength: 1, maxLength: 128 }), (name) => {
        fc.pre(!hasDotDotSegment(name));
        expect(isValidModelName(name)).toBe(true);
      }),
    );
  });

  it('refuses a name with any character outside the alphabet', () => {
    const outside = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 1 })
      .filter((c) => !ALPHABET.includes(c));
    fc.assert(
      fc.property(
        fc.string({ unit: allowedChar, maxLength: 60 }),
        outside,
        fc.string({ unit: allowedChar, maxLength: 60 }),
        (before, bad, after) => {
          expect(isValidModelName(before + bad + after)).toBe(false);
        },
      ),
    );
  });

  it('refuses names longer than 128 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: allowedChar, minLength: 129, maxLength: 400 }), (name) => {
        expect(isValidModelName(name)).toBe(false);
      }),
    );
  });

  it('refuses a name with a ".." path segment anywhere', () => {
    const segment = fc.string({ unit: allowedChar, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 4 }), fc.array(segment, { maxLength: 4 }), (head, tail) => {
        const name = [...head, '..', ...tail].join('/');
        fc.pre(name.length <= 128);
        expect(isValidModelName(name)).toBe(false);
      }),
    );
    expect(isValidModelName('..')).toBe(false);
    expect(isValidModelName('../../admin')).toBe(false);
  });

  it('refuses the empty string and non-strings', () => {
    for (const value of ['', undefined, null, 42, ['gpt-4o'], { model: 'gpt-4o' }]) {
      expect(isValidModelName(value)).toBe(false);
    }
  });
});
