import type { Counters } from '../counters/counters.js';
import type { Store } from '../store/store.js';
import type { ClaimInfo } from './limit-claims.js';

/**
 * Gives budget counters that have no state yet their period's settled spend from the usage ledger
 * (set-if-absent, so concurrent seeders agree). This is how spend survives a restart and how a
 * new period starts from what was already recorded in it.
 */
export async function seedBudgets(
  deps: { counters: Counters; store: Store },
  infos: readonly ClaimInfo[],
  unseeded: readonly string[],
  now: number,
): Promise<void> {
  for (const info of infos) {
    if (info.claim.kind !== 'budget' || !unseeded.includes(info.claim.counter) || !info.window) continue;
    const filter = info.scope === 'key' ? { keyId: info.subjectId } : { projectId: info.subjectId };
    const [totals] = await deps.store.queryUsage({ ...filter, from: info.window.start, to: now + 1 }, null);
    await deps.counters.seedBudget(info.claim.counter, totals?.costNanoUsd ?? 0, info.window.end);
  }
}
