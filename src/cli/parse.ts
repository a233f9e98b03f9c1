import { InvalidArgumentError } from 'commander';

/**
 * Option value parsers. Each turns one flag value into what the admin API expects, or throws
 * commander's InvalidArgumentError, which the CLI reports as a usage error (exit 2).
 */

const DURATION_UNITS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `30m`, `2h`, `7d`, `1w` → milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)([smhdw])$/.exec(value.trim());
  const amount = Number(match?.[1]);
  const unit = DURATION_UNITS[match?.[2] ?? ''];
  if (!match || unit === undefined || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidArgumentError('expected a duration such as 30m, 2h or 7d');
  }
  return amount * unit;
}

export const BUDGET_PERIODS = ['hour', 'day', 'week', 'month', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface Budget {
  usd: number;
  period: BudgetPeriod;
  soft: boolean;
}

/** `5/day`, `$50/month:soft`, `0.5/hour:hard` → a budget; hard unless `:soft`. */
export function parseBudget(value: string): Budget {
  const match = /^\$?(\d+(?:\.\d+)?|\.\d+)\/([a-z]+)(?::(soft|hard))?$/.exec(value.trim());
  const usd = Number(match?.[1]);
  const period = match?.[2];
  if (!match || !isPeriod(period) || !Number.isFinite(usd) || usd <= 0) {
    throw new InvalidArgumentError(
      `expected USD/PERIOD[:soft] such as 5/day or 50/month:soft (periods: ${BUDGET_PERIODS.join(', ')})`,
    );
  }
  return { usd, period, soft: match[3] === 'soft' };
}

function isPeriod(value: string | undefined): value is BudgetPeriod {
  return (BUDGET_PERIODS as readonly string[]).includes(value ?? '');
}

/** For a repeatable `--budget`: commander calls it once per occurrence with what it has so far. */
export function collectBudget(value: string, previous: Budget[] = []): Budget[] {
  return [...previous, parseBudget(value)];
}

/** A whole number of at least 1. */
export function parsePositiveInt(value: string): number {
  const trimmed = value.trim();
  const number = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1');
  }
  return number;
}

/** `a, b,c` → `['a', 'b', 'c']`. */
export function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}

/** An ISO 8601 date or date-time, passed on normalised to UTC. */
export function parseTimestamp(value: string): string {
  const trimmed = value.trim();
  const ms = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(ms))
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2027-01-01T00:00:00Z');
  return new Date(ms).toISOString();
}

/** The admin server's address: an http(s) URL. */
export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:8787');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  return value.replace(/\/+$/, '');
}
