import type { Counters } from '../counters/counters.js';
import type { Limits } from '../domain/records.js';
import { NANO_PER_USD } from '../domain/usage.js';
import type { Store } from '../store/store.js';
import { claimsFor } from './limit-claims.js';
import { seedBudgets } from './seed-budgets.js';

/** One limit's current consumption, as the admin API shows it. */
export interface LimitUsage {
  limit: 'rpm' | 'tpm' | 'concurrency' | 'budget';
  period?: string;
  soft?: boolean;
  used: number;
  max: number;
  remaining: number;
  resets_at: string | null;
}

/** Current consumption of every limit of a key or a project (budgets in USD). */
export async function limitUsage(
  deps: { counters: Counters; store: Store; timeZone: string },
  subject: { scope: 'key' | 'project'; id: string; projectId: string; limits: Limits },
  now: number,
): Promise<LimitUsage[]> {
  const infos = claimsFor(subject, { tokens: 0, costNano: 0, now, timeZone: deps.timeZone });
  if (infos.length === 0) return [];
  const budgets = infos.filter((i) => i.claim.kind === 'budget').map((i) => i.claim.counter);
  await seedBudgets(deps, infos, budgets, now);
  const states = await deps.counters.read(
    infos.map((i) => i.claim),
    now,
  );
  return infos.map((info, i) => {
    const state = states[i];
    const usd = info.limit === 'budget' ? NANO_PER_USD : 1;
    const resetAt = state?.resetAt ?? null;
    return {
      limit: info.limit,
      ...(info.budget && { period: info.budget.period, soft: info.budget.soft === true }),
      used: (state?.used ?? 0) / usd,
      max: (state?.limit ?? 0) / usd,
      remaining: (state?.remaining ?? 0) / usd,
      resets_at:
        resetAt === null || !Number.isFinite(resetAt) ? null : new Date(Math.max(resetAt, now)).toISOString(),
    };
  });
}
