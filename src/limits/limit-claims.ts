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
): ClaimInfo[] {
  const base = `{p:${subject.projectId}}:${subject.scope === 'key' ? `k:${subject.id}` : 'p'}`;
  const { limits } = subject;
  const claims: ClaimInfo[] = [];
  const owner = { scope: subject.scope, subjectId: subject.id };
  if (limits.rpm !== undefined) {
    claims.push({
      ...owner,
      limit: 'rpm',
      claim: {
        kind: 'rate',
        counter: `${base}:rpm:${limits.rpm}`,
        unit: 'requests',
        limit: limits.rpm,
        windowMs: MINUTE_MS,
        amount: 1,
      },
    });
  }
  if (limits.tpm !== undefined) {
    claims.push({
      ...owner,
      limit: 'tpm',
      claim: {
        kind: 'rate',
        counter: `${base}:tpm:${limits.tpm}`,
        unit: 'tokens',
        limit: limits.tpm,
        windowMs: MINUTE_MS,
        amount: request.tokens,
      },
    });
  }
  if (limits.concurrency !== undefined) {
    claims.push({
      ...owner,
      limit: 'concurrency',
      claim: { kind: 'concurrency', counter: `${base}:conc`, limit: limits.concurrency },
    });
  }
  for (const budget of limits.budgets ?? []) {
    const window = periodWindow(budget.period, request.now, request.timeZone);
    const claim: BudgetClaim = {
      kind: 'budget',
      counter: `${base}:b:${budget.period}:${budget.soft ? 'soft' : 'hard'}:${window.start}`,
      hard: !budget.soft,
      limitNano: Math.round(budget.usd * NANO_PER_USD),
      amountNano: request.costNano,
      resetAt: window.end,
    };
    claims.push({ ...owner, limit: 'budget', budget, window, claim });
  }
  return claims;
}

export function hasTokenLimits(limits: Limits): boolean {
  return limits.tpm !== undefined || (limits.budgets?.length ?? 0) > 0;
}
