import { describe, expect, it } from 'vitest';
import { periodWindow } from './periods.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('budget periods', () => {
  it('uses UTC calendar boundaries by default', () => {
    const now = at('2026-11-28T15:42:10.123Z');
    expect(iso(periodWindow('hour', now, 'UTC').start)).toBe('2026-11-28T15:00:00.000Z');
    expect(iso(periodWindow('day', now, 'UTC').end)).toBe('2026-11-29T00:00:00.000Z');
    // 2026-11-28 is a Saturday: the ISO week began on Monday the 23rd.
    expect(iso(periodWindow('week', now, 'UTC').start)).toBe('2026-11-23T00:00:00.000Z');
    expect(iso(periodWindow('month', now, 'UTC').start)).toBe('2026-11-01T00:00:00.000Z');
    expect(iso(periodWindow('month', at('2026-12-31T23:59:59Z'), 'UTC').end)).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    expect(periodWindow('total', now, 'UTC')).toEqual({ start: 0, end: Number.POSITIVE_INFINITY });
  });

  it('starts days at local midnight in the configured zone, across a DST change', () => {
    // New York: UTC-5 in winter; DST ended on 2026-11-01 at 02:00 local.
    expect(iso(periodWindow('day', at('2026-11-28T03:00:00Z'), 'America/New_York').start)).toBe(
      '2026-11-27T05:00:00.000Z',
    );
    const dstDay = periodWindow('day', at('2026-11-01T12:00:00Z'), 'America/New_York');
    expect(iso(dstDay.start)).toBe('2026-11-01T04:00:00.000Z');
    expect(dstDay.end - dstDay.start).toBe(25 * 3_600_000);
  });

  it('starts hours on local hour boundaries in zones with half-hour offsets', () => {
    expect(iso(periodWindow('hour', at('2026-11-28T10:50:00Z'), 'Asia/Kolkata').start)).toBe(
      '2026-11-28T10:30:00.000Z',
    );
  });
});
