import type { BudgetClaim, LimitClaim } from '../counters/counters.js';
import { type PeriodWindow, periodWindow } from '../domain/periods.js';
import type { Budget, Limits } from '../domain/records.js';
import { NANO_PER_USD } from '../domain/usage.js';

/** Whose limit a claim enforces, for messages, headers and the admin API's consumption view. */
export interface ClaimInfo {
  claim: LimitClaim;
  scope: 'key' | 'project';
  /** The key's or the project's id. */
  subjectId: string;
  /** `rpm`, `tpm`, `concurrency` or `budget`. */
  limit: 'rpm' | 'tpm' | 'concurrency' | 'budget';
  budget?: Budget;
  window?: PeriodWindow;
}

export interface ClaimSubject {
  scope: 'key' | 'project';
  id: string;
  projectId: string;
  limits: Limits;
}

const MINUTE_MS = 60_000;

/**
 * The counters one request takes for one subject (its key or its project). Counter names carry the
 * project as a hash tag, so every counter of one request lives in the same Redis Cluster slot; a
 * budget's counter names its period start, so a new period is simply a fresh counter; a rate's
 * counter names its limit, so a changed rate applies from the next request (spend, by contrast,
 * is kept when a budget's amount changes).
 */
export function claimsFor(
  subject: ClaimSubject,
  request: { tokens: number; costNano: number; now: number; timeZone: string },
  /** Appended to and returned: one list for a request's subjects, without spreading lists into it. */
  claims: ClaimInfo[] = [],
): ClaimInfo[] {
  const { limits } = subject;
  const names = counterNames(subject);
  const { scope, id: subjectId } = subject;
  if (limits.rpm !== undefined) {
    claims.push({
      scope,
      subjectId,
      limit: 'rpm',
      claim: {
        kind: 'rate',
        counter: names.rpm,
        unit: 'requests',
        limit: limits.rpm,
        windowMs: MINUTE_MS,
        amount: 1,
      },
    });
  }
  if (limits.tpm !== undefined) {
    claims.push({
      scope,
      subjectId,
      limit: 'tpm',
      claim: {
        kind: 'rate',
        counter: names.tpm,
        unit: 'tokens',
        limit: limits.tpm,
        windowMs: MINUTE_MS,
        amount: request.tokens,
      },
    });
  }
  if (limits.concurrency !== undefined) {
    claims.push({
      scope,
      subjectId,
      limit: 'concurrency',
      claim: { kind: 'concurrency', counter: names.concurrency, limit: limits.concurrency },
    });
  }
  for (const budget of limits.budgets ?? []) {
    const window = periodWindow(budget.period, request.now, request.timeZone);
    const claim: BudgetClaim = {
      kind: 'budget',
      counter: names.budget(budget, window.start),
      hard: !budget.soft,
      limitNano: Math.round(budget.usd * NANO_PER_USD),
      amountNano: request.costNano,
      resetAt: window.end,
    };
    claims.push({ scope, subjectId, limit: 'budget', budget, window, claim });
  }
  return claims;
}

interface CounterNames {
  subject: Omit<ClaimSubject, 'limits'>;
  rpm: string;
  tpm: string;
  concurrency: string;
  budget(budget: Budget, periodStart: number): string;
}

/** Names per limits object: a key's or project's limits are one object while it is cached. */
const namesByLimits = new WeakMap<Limits, CounterNames>();

/**
 * A subject's counter names, built once per limits object rather than per request (building and
 * then hashing fresh strings for every Map lookup was a visible share of admission).
 */
function counterNames(subject: ClaimSubject): CounterNames {
  const cached = namesByLimits.get(subject.limits);
  if (
    cached &&
    cached.subject.id === subject.id &&
    cached.subject.scope === subject.scope &&
    cached.subject.projectId === subject.projectId
  ) {
    return cached;
  }
  const { limits } = subject;
  const owner = `{p:${subject.projectId}}:${subject.scope === 'key' ? `k:${subject.id}` : 'p'}`;
  // The current period's name per budget; a new period builds a new one.
  const periods = new WeakMap<Budget, { start: number; name: string }>();
  const names: CounterNames = {
    subject: { scope: subject.scope, id: subject.id, projectId: subject.projectId },
    rpm: `${owner}:rpm:${limits.rpm}`,
    tpm: `${owner}:tpm:${limits.tpm}`,
    concurrency: `${owner}:conc`,
    budget(budget, periodStart) {
      let period = periods.get(budget);
      if (period?.start !== periodStart) {
        period = {
          start: periodStart,
          name: `${owner}:b:${budget.period}:${budget.soft ? 'soft' : 'hard'}:${periodStart}`,
        };
        periods.set(budget, period);
      }
      return period.name;
    },
  };
  namesByLimits.set(subject.limits, names);
  return names;
}

export function hasTokenLimits(limits: Limits): boolean {
  return limits.tpm !== undefined || (limits.budgets?.length ?? 0) > 0;
}
