import type { BudgetPeriod } from './records.js';

export interface PeriodWindow {
  /** First millisecond of the period containing `at`. */
  start: number;
  /** First millisecond of the next period (`Infinity` for `total`). */
  end: number;
}

const HOUR_MS = 3_600_000;

/**
 * The calendar period containing `at`, in the given IANA time zone: hours, days, ISO weeks (from
 * Monday) and months begin at local midnight there, so "$5 per day" means the operator's day.
 */
export function periodWindow(period: BudgetPeriod, at: number, timeZone: string): PeriodWindow {
  // Every request asks for the period it falls in; time-zone arithmetic is costly, a lookup is not
  // (nor is it a key string built per request to look it up with).
  let byPeriod = lastWindows.get(timeZone);
  if (!byPeriod) {
    byPeriod = new Map();
    lastWindows.set(timeZone, byPeriod);
  }
  const cached = byPeriod.get(period);
  if (cached && cached.start <= at && at < cached.end) return cached;
  const window = computeWindow(period, at, timeZone);
  byPeriod.set(period, window);
  return window;
}

/** The last window per time zone and period. */
const lastWindows = new Map<string, Map<BudgetPeriod, PeriodWindow>>();

function computeWindow(period: BudgetPeriod, at: number, timeZone: string): PeriodWindow {
  if (period === 'total') return { start: 0, end: Number.POSITIVE_INFINITY };
  if (period === 'hour') {
    // Zone offsets are whole quarter-hours, so local hours start on UTC quarter-hours: find the one.
    const local = localParts(at, timeZone);
    const start = at - (local.minute * 60_000 + local.second * 1000 + (at % 1000));
    return { start, end: start + HOUR_MS };
  }
  const local = localParts(at, timeZone);
  let startDate: { year: number; month: number; day: number };
  let endDate: { year: number; month: number; day: number };
  if (period === 'day') {
    startDate = local;
    endDate = addDays(local, 1);
  } else if (period === 'week') {
    const weekday = (new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() + 6) % 7;
    startDate = addDays(local, -weekday);
    endDate = addDays(startDate, 7);
  } else {
    startDate = { year: local.year, month: local.month, day: 1 };
    endDate =
      local.month === 12
        ? { year: local.year + 1, month: 1, day: 1 }
        : { year: local.year, month: local.month + 1, day: 1 };
  }
  return { start: localMidnight(startDate, timeZone), end: localMidnight(endDate, timeZone) };
}

/** Throws a RangeError for a time zone the runtime does not know. */
export function checkTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(at: number, timeZone: string): LocalParts {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(at))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function addDays(date: { year: number; month: number; day: number }, days: number) {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The instant local midnight of `date` happens in `timeZone` (two passes settle DST shifts). */
function localMidnight(date: { year: number; month: number; day: number }, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const local = localParts(guess, timeZone);
    const shownAsUtc = Date.UTC(
      local.year,
      local.month - 1,
      local.day,
      local.hour,
      local.minute,
      local.second,
    );
    guess += wall - shownAsUtc;
  }
  return guess;
}
