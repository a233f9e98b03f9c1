import type { CounterState } from '../../counters/counters.js';
import type { ClaimInfo } from '../../limits/limit-claims.js';

/** Go-style durations as OpenAI writes them in `x-ratelimit-reset-*`: `20ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  const clamped = Math.max(0, Math.ceil(ms));
  if (clamped < 1000) return `${clamped}ms`;
  if (clamped < 60_000) return `${Number((clamped / 1000).toFixed(3))}s`;
  const minutes = Math.floor(clamped / 60_000);
  return `${minutes}m${Math.round((clamped % 60_000) / 1000)}s`;
}

/** The two rates with headers, and their header names, built once. */
const RATES = (
  [
    ['rpm', 'requests'],
    ['tpm', 'tokens'],
  ] as const
).map(([limit, suffix]) => ({
  limit,
  limitHeader: `x-ratelimit-limit-${suffix}`,
  remainingHeader: `x-ratelimit-remaining-${suffix}`,
  resetHeader: `x-ratelimit-reset-${suffix}`,
}));

/**
 * OpenAI's rate-limit headers for the tightest request and token rates among the key's and its
 * project's limits, sent on success and on refusal alike.
 */
export function rateLimitHeaders(infos: readonly ClaimInfo[], states: readonly CounterState[], now: number) {
  const headers: Record<string, string> = {};
  for (const rate of RATES) {
    let tightest: CounterState | undefined;
    for (let i = 0; i < infos.length; i++) {
      const state = states[i];
      if (infos[i]?.limit !== rate.limit || !state) continue;
      if (!tightest || state.remaining < tightest.remaining) tightest = state;
    }
    if (!tightest) continue;
    headers[rate.limitHeader] = String(tightest.limit);
    headers[rate.remainingHeader] = String(Math.max(0, tightest.remaining));
    headers[rate.resetHeader] = formatDuration((tightest.resetAt ?? now) - now);
  }
  return headers;
}
