import { GatewayError, invalidField } from '../domain/errors.js';
import type { Budget, KeyRecord, Limits } from '../domain/records.js';
import type { Store } from '../store/store.js';
import type { CarveLimits } from './key-delegation.js';
import type { LimitUsageOf } from './keys-admin.js';

/**
 * A child's hard budgets are carved out of what its chain has left: for every hard budget of the
 * parent (and of the parent's own ancestors), the child's budget for that period may not exceed the
 * remaining amount, and a child that names none gets exactly the remaining amount. Admission then
 * charges the child's spend to every ancestor's budget too, so the chain's caps hold together.
 */
export function createBudgetCarving(deps: { store: Store; limitUsage: LimitUsageOf }): CarveLimits {
  /** The least any key of the chain has left in each period's hard budget, in USD. */
  const remainingByPeriod = async (parent: KeyRecord) => {
    const remaining = new Map<Budget['period'], number>();
    for (let key: KeyRecord | undefined = parent; key; ) {
      if (key.limits.budgets?.some((b) => !b.soft)) {
        const usage = await deps.limitUsage({
          scope: 'key',
          id: key.id,
          projectId: key.projectId,
          limits: { budgets: key.limits.budgets.filter((b) => !b.soft) },
        });
        for (const row of usage) {
          if (row.limit !== 'budget' || row.period === undefined) continue;
          const period = row.period as Budget['period'];
          remaining.set(period, Math.min(remaining.get(period) ?? Number.POSITIVE_INFINITY, row.remaining));
        }
      }
      key = key.parentId === null ? undefined : await deps.store.getKey(key.parentId);
    }
    return remaining;
  };

  return async (parent, wanted) => {
    const remaining = await remainingByPeriod(parent);
    if (remaining.size === 0) return wanted;
    const budgets = [...(wanted.budgets ?? [])];
    for (const [period, left] of remaining) {
      if (left <= 0) {
        throw new GatewayError('budget_exceeded', `the parent key's ${period} budget is used up`);
      }
      const index = budgets.findIndex((b) => b.period === period && !b.soft);
      const asked = budgets[index];
      if (!asked) {
        budgets.push({ usd: roundDown(left), period });
        continue;
      }
      if (asked.usd > left) {
        throw invalidField(
          `limits.budgets[${index}]`,
          `$${asked.usd}/${period} is more than the $${roundDown(left)} the parent key has left this ${period}`,
        );
      }
    }
    const limits: Limits = { ...wanted, budgets };
    return limits;
  };
}

/** Cents, rounded down, so a carved budget never exceeds what is left. */
function roundDown(usd: number): number {
  return Math.floor(usd * 1e6) / 1e6;
}
