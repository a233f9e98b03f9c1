/**
 * The counters port: rate limits, concurrency slots and budget reservations. Every operation takes
 * all the claims of one request together and applies them all or none, so that a request refused
 * by one limit consumes nothing from the others. Each operation is designed to be one atomic Redis
 * script in the scale-out implementation; the embedded one runs it synchronously in memory.
 *
 * Counter names are chosen by the caller (the admit stage) and identify one limit in one period,
 * e.g. `{prj_x}:key:key_y:budget:day:1764288000000`, so a new period is simply a new counter.
 */

/** Requests or tokens per window, as GCRA: a burst of up to `limit`, then `limit` evenly per window. */
export interface RateClaim {
  kind: 'rate';
  counter: string;
  unit: 'requests' | 'tokens';
  limit: number;
  windowMs: number;
  /** How much this request takes now: 1 request, or its estimated tokens. */
  amount: number;
}

export interface ConcurrencyClaim {
  kind: 'concurrency';
  counter: string;
  limit: number;
}

/** A USD budget for one period, in billionths of a dollar. Soft budgets are counted, never refused. */
export interface BudgetClaim {
  kind: 'budget';
  counter: string;
  hard: boolean;
  limitNano: number;
  /** The request's worst-case cost, held until it settles. */
  amountNano: number;
  /** When the period ends (the counter may be forgotten after it). */
  resetAt: number;
}

export type LimitClaim = RateClaim | ConcurrencyClaim | BudgetClaim;

export interface Reservation {
  id: string;
  claims: readonly LimitClaim[];
}

/** Consumption of one counter, for headers, the admin API and threshold alerts. */
export interface CounterState {
  counter: string;
  kind: LimitClaim['kind'];
  /** Budgets: settled spend plus outstanding reservations (nano-USD). Rates: what the window holds. */
  used: number;
  limit: number;
  remaining: number;
  /** When the counter is fully available again (rate, budget), or null (concurrency). */
  resetAt: number | null;
}

export type ReserveOutcome =
  | { ok: true; reservation: Reservation; states: CounterState[] }
  | { ok: false; refused: LimitClaim; retryAfterMs: number; states: CounterState[] }
  /** Budget counters that have no state yet: seed them from the usage ledger, then reserve again. */
  | { ok: false; unseeded: string[] };

export interface Counters {
  reserve(claims: readonly LimitClaim[], now: number): Promise<ReserveOutcome>;
  /**
   * Ends a reservation with what the request really cost: concurrency slots are freed, each budget's
   * held amount is replaced by `costNano`, token rates are corrected from the estimate to `tokens`.
   * Returns the budgets' states after settling (for threshold alerts).
   */
  settle(
    reservation: Reservation,
    actual: { costNano: number; tokens: number },
    now: number,
  ): Promise<CounterState[]>;
  /** Gives everything back, as if the request had never been admitted (it never reached the upstream). */
  release(reservation: Reservation, now: number): Promise<void>;
  /** Sets a budget counter's settled spend from the ledger, unless the counter already has state. */
  seedBudget(counter: string, spentNano: number, resetAt: number): Promise<void>;
  read(claims: readonly LimitClaim[], now: number): Promise<CounterState[]>;
  close(): Promise<void>;
}
