import type { CounterState, LimitClaim } from './counters.js';

/**
 * A counter's state from the one number it holds: a rate's theoretical arrival time (at least
 * `now`), the slots in use, or a budget's settled spend plus holds. Shared by every implementation.
 */
export function stateOf(claim: LimitClaim, raw: number, now: number): CounterState {
  if (claim.kind === 'rate') {
    const interval = claim.windowMs / claim.limit;
    const used = Math.min(claim.limit, Math.ceil((raw - now) / interval - 1e-9));
    return {
      counter: claim.counter,
      kind: 'rate',
      used,
      limit: claim.limit,
      remaining: claim.limit - used,
      resetAt: raw,
    };
  }
  const limit = claim.kind === 'concurrency' ? claim.limit : claim.limitNano;
  return {
    counter: claim.counter,
    kind: claim.kind,
    used: raw,
    limit,
    remaining: Math.max(0, limit - raw),
    resetAt: claim.kind === 'budget' ? claim.resetAt : null,
  };
}
