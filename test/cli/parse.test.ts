import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  collectBudget,
  parseBudget,
  parseDuration,
  parseList,
  parsePositiveInt,
  parseTimestamp,
  parseUrl,
} from '../../src/cli/parse.js';

describe('--ttl durations', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '2', 'h', '0h', '-1h', '1.5h', '2 hours', '2y', '1h30m'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
  });
});

describe('--budget specs', () => {
  it('is a hard budget unless marked soft', () => {
    expect(parseBudget('5/day')).toEqual({ usd: 5, period: 'day', soft: false });
    expect(parseBudget('50/month:soft')).toEqual({ usd: 50, period: 'month', soft: true });
    expect(parseBudget('0.25/hour:hard')).toEqual({ usd: 0.25, period: 'hour', soft: false });
    expect(parseBudget('$100/total')).toEqual({ usd: 100, period: 'total', soft: false });
    expect(parseBudget('1.5/week')).toEqual({ usd: 1.5, period: 'week', soft: false });
  });

  it.each(['5', '5/', '/day', '5/year', '5/day:maybe', '0/day', 'five/day', '-5/day', '5/Day'])(
    'refuses %j',
    (text) => {
      expect(() => parseBudget(text)).toThrow(InvalidArgumentError);
    },
  );

  it('collects a repeated flag in order', () => {
    const first = collectBudget('5/day', undefined);
    expect(collectBudget('50/month:soft', first)).toEqual([
      { usd: 5, period: 'day', soft: false },
      { usd: 50, period: 'month', soft: true },
    ]);
  });
});

describe('other flag values', () => {
  it('takes whole numbers of at least 1', () => {
    expect(parsePositiveInt('60')).toBe(60);
    for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3']) {
      expect(() => parsePositiveInt(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('splits comma lists and drops blanks', () => {
    expect(parseList('gpt-4o*, claude-*,,')).toEqual(['gpt-4o*', 'claude-*']);
    expect(() => parseList(' , ')).toThrow(InvalidArgumentError);
  });

  it('normalises ISO times to UTC', () => {
    expect(parseTimestamp('2027-01-01T01:00:00+01:00')).toBe('2027-01-01T00:00:00.000Z');
    expect(parseTimestamp('2027-01-01')).toBe('2027-01-01T00:00:00.000Z');
    for (const bad of ['tomorrow', '1700000000', '2027-13-45']) {
      expect(() => parseTimestamp(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('takes http(s) server URLs only', () => {
    expect(parseUrl('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(() => parseUrl('127.0.0.1:8787')).toThrow(InvalidArgumentError);
    expect(() => parseUrl('ftp://host')).toThrow(InvalidArgumentError);
  });
});
