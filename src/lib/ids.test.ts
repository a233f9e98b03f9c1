import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newId, newTimeOrderedId } from './ids.js';

const MAX_MS = 62 ** 8 - 1;

describe('ids', () => {
  it('time-ordered ids sort as their times do, and look like every other id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MS }), fc.integer({ min: 0, max: MAX_MS }), (a, b) => {
        fc.pre(a !== b);
        const [early, late] = a < b ? [a, b] : [b, a];
        expect(newTimeOrderedId('req', early) < newTimeOrderedId('req', late)).toBe(true);
        expect(newTimeOrderedId('req', a)).toMatch(/^req_[0-9A-Za-z]{20}$/);
      }),
    );
    expect(newTimeOrderedId('req', Date.now())).toHaveLength(newId('req').length);
  });

  it('time-ordered ids made in the same millisecond differ', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => newTimeOrderedId('req', now)));
    expect(ids.size).toBe(10_000);
  });
});
