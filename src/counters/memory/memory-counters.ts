import { stateOf } from '../counter-state.js';
import type { CounterState, Counters, LimitClaim, RateClaim, Reservation } from '../counters.js';

interface BudgetState {
  spent: number;
  reserved: number;
  resetAt: number;
}

/** Stale counters are swept once the maps grow past this many entries. */
const SWEEP_AT = 100_000;

/**
 * The embedded counters: plain maps in one process. Each operation runs start to end without
 * awaiting, so it is atomic with respect to every other request in the process.
 */
export function createMemoryCounters(): Counters {
  /** GCRA theoretical arrival time per rate counter. */
  const tats = new Map<string, number>();
  const slots = new Map<string, number>();
  const budgets = new Map<string, BudgetState>();
  let reservations = 0;

  const interval = (claim: RateClaim) => claim.windowMs / claim.limit;

  /** What the claim's counter holds: see `stateOf`. */
  const held = (claim: LimitClaim, now: number): number => {
    if (claim.kind === 'rate') return Math.max(tats.get(claim.counter) ?? now, now);
    if (claim.kind === 'concurrency') return slots.get(claim.counter) ?? 0;
    const state = budgets.get(claim.counter);
    return state ? state.spent + state.reserved : 0;
  };
  const stateOfClaim = (claim: LimitClaim, now: number): CounterState =>
    stateOf(claim, held(claim, now), now);

  /** How long until `claim` could be taken, or 0 when it can be taken now. */
  const waitFor = (claim: LimitClaim, now: number): number => {
    if (claim.kind === 'rate') {
      const tat = Math.max(tats.get(claim.counter) ?? now, now);
      const over = tat + claim.amount * interval(claim) - now - claim.windowMs;
      return over > 0 ? Math.ceil(over) : 0;
    }
    if (claim.kind === 'concurrency') return (slots.get(claim.counter) ?? 0) + 1 > claim.limit ? 1000 : 0;
    const state = budgets.get(claim.counter);
    if (!claim.hard || !state) return 0;
    return state.spent + state.reserved + claim.amountNano > claim.limitNano
      ? Math.max(1, claim.resetAt - now)
      : 0;
  };

  const sweep = (now: number) => {
    if (tats.size + budgets.size < SWEEP_AT) return;
    for (const [name, tat] of tats) if (tat < now) tats.delete(name);
    for (const [name, state] of budgets)
      if (state.resetAt < now && state.reserved === 0) budgets.delete(name);
  };

  return {
    async reserve(claims, now) {
      let unseeded: string[] | undefined;
      for (const claim of claims) {
        if (claim.kind !== 'budget' || budgets.has(claim.counter)) continue;
        unseeded ??= [];
        unseeded.push(claim.counter);
      }
      if (unseeded) return { ok: false, unseeded };
      for (const claim of claims) {
        const retryAfterMs = waitFor(claim, now);
        if (retryAfterMs > 0) {
          return { ok: false, refused: claim, retryAfterMs, states: claims.map((c) => stateOfClaim(c, now)) };
        }
      }
      for (const claim of claims) {
        if (claim.kind === 'rate') {
          const tat = Math.max(tats.get(claim.counter) ?? now, now);
          tats.set(claim.counter, tat + claim.amount * interval(claim));
        } else if (claim.kind === 'concurrency') {
          slots.set(claim.counter, (slots.get(claim.counter) ?? 0) + 1);
        } else {
          const state = budgets.get(claim.counter) as BudgetState;
          state.reserved += claim.amountNano;
        }
      }
      sweep(now);
      return {
        ok: true,
        // Nothing here looks a reservation up by id (one process holds them all): a sequence number will do.
        reservation: { id: String(++reservations), claims },
        states: claims.map((c) => stateOfClaim(c, now)),
      };
    },

    async settle(reservation, actual, now) {
      giveBack(reservation, actual);
      const states: CounterState[] = [];
      for (const claim of reservation.claims)
        if (claim.kind === 'budget') states.push(stateOfClaim(claim, now));
      return states;
    },

    async release(reservation) {
      giveBack(reservation, null);
    },

    async seedBudget(counter, spentNano, resetAt) {
      if (!budgets.has(counter)) budgets.set(counter, { spent: spentNano, reserved: 0, resetAt });
    },

    async read(claims, now) {
      return claims.map((c) => stateOfClaim(c, now));
    },

    async close() {
      tats.clear();
      slots.clear();
      budgets.clear();
    },
  };

  /** Settles (with the actual cost and tokens) or releases (`null`: nothing was consumed). */
  function giveBack(reservation: Reservation, actual: { costNano: number; tokens: number } | null) {
    for (const claim of reservation.claims) {
      if (claim.kind === 'rate') {
        const taken =
          actual === null ? claim.amount : claim.unit === 'tokens' ? claim.amount - actual.tokens : 0;
        const tat = tats.get(claim.counter);
        if (tat !== undefined && taken !== 0) tats.set(claim.counter, tat - taken * interval(claim));
      } else if (claim.kind === 'concurrency') {
        slots.set(claim.counter, Math.max(0, (slots.get(claim.counter) ?? 0) - 1));
      } else {
        const state = budgets.get(claim.counter);
        if (!state) continue;
        state.reserved = Math.max(0, state.reserved - claim.amountNano);
        if (actual !== null) state.spent += actual.costNano;
      }
    }
  }
}
