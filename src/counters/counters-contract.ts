import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  BudgetClaim,
  ConcurrencyClaim,
  CounterState,
  Counters,
  LimitClaim,
  RateClaim,
  Reservation,
  ReserveOutcome,
} from './counters.js';

/**
 * The behaviours every `Counters` must show, run against the in-memory and the Redis
 * implementations so the embedded gateway and a fleet of instances enforce limits identically.
 * `open` hands back counters that share no state with any earlier ones (Redis: a new key prefix).
 */
export function describeCountersContract(name: string, open: () => Promise<Counters>): void {
  describe(`${name} counters contract`, () => {
    let counters: Counters;
    beforeEach(async () => {
      counters = await open();
    });
    afterEach(async () => {
      await counters.close();
    });

    describeRates(() => counters);
    describeConcurrencyAndBudgets(() => counters);
    describeAgainstModel(() => counters);
  });
}

const T0 = Date.UTC(2025, 5, 1, 12);
const MINUTE = 60_000;
let serial = 0;
/** Counter names as the admit stage builds them: one hash tag shared by all claims of a request. */
const tag = () => `{prj_${++serial}}`;

const rpm = (counter: string, limit: number): RateClaim => ({
  kind: 'rate',
  counter: `${counter}:rpm`,
  unit: 'requests',
  limit,
  windowMs: MINUTE,
  amount: 1,
});
const tpm = (counter: string, limit: number, amount: number): RateClaim => ({
  kind: 'rate',
  counter: `${counter}:tpm`,
  unit: 'tokens',
  limit,
  windowMs: MINUTE,
  amount,
});
const slots = (counter: string, limit: number): ConcurrencyClaim => ({
  kind: 'concurrency',
  counter: `${counter}:conc`,
  limit,
});
const budget = (counter: string, limitNano: number, amountNano: number, hard = true): BudgetClaim => ({
  kind: 'budget',
  counter: `${counter}:budget:${hard ? 'hard' : 'soft'}`,
  hard,
  limitNano,
  amountNano,
  resetAt: T0 + 86_400_000,
});

/** An empty rate window may report -0 used (both implementations do); JSON renders it 0. */
const withoutNegativeZero = (states: CounterState[]) => states.map((s) => ({ ...s, used: s.used + 0 }));

function admitted(outcome: ReserveOutcome): Reservation {
  if (!outcome.ok) throw new Error(`expected admission, got ${JSON.stringify(outcome)}`);
  return outcome.reservation;
}

function describeRates(get: () => Counters) {
  describe('rates', () => {
    it('admits a burst of the limit, then one request per interval', async () => {
      const c = get();
      const t = tag();
      for (let i = 0; i < 5; i++) admitted(await c.reserve([rpm(t, 5)], T0));
      const refused = await c.reserve([rpm(t, 5)], T0);
      expect(refused).toMatchObject({ ok: false, retryAfterMs: 12_000 });
      expect((await c.reserve([rpm(t, 5)], T0 + 11_999)).ok).toBe(false);
      admitted(await c.reserve([rpm(t, 5)], T0 + 12_000));
      expect((await c.reserve([rpm(t, 5)], T0 + 12_000)).ok).toBe(false);
      expect((await c.reserve([rpm(t, 5)], T0 + 23_999)).ok).toBe(false);
      admitted(await c.reserve([rpm(t, 5)], T0 + 24_000));
    });

    it('reports what the window holds and when it is free again', async () => {
      const c = get();
      const t = tag();
      const ok = await c.reserve([rpm(t, 10)], T0);
      expect(ok.ok && ok.states).toEqual([
        { counter: `${t}:rpm`, kind: 'rate', used: 1, limit: 10, remaining: 9, resetAt: T0 + 6_000 },
      ]);
      expect(withoutNegativeZero(await c.read([rpm(t, 10)], T0 + 6_000))).toEqual([
        { counter: `${t}:rpm`, kind: 'rate', used: 0, limit: 10, remaining: 10, resetAt: T0 + 6_000 },
      ]);
    });

    it('keeps arrival times exact when the limit does not divide the window', async () => {
      const c = get();
      const t = tag();
      const interval = MINUTE / 7; // 8571.428571428572 ms: stored and read back without losing the fraction
      const ok = await c.reserve([rpm(t, 7)], T0);
      expect(ok.ok && ok.states[0]?.resetAt).toBe(T0 + interval);
      admitted(await c.reserve([rpm(t, 7)], T0));
      expect((await c.read([rpm(t, 7)], T0))[0]?.resetAt).toBe(T0 + interval + interval);
    });

    it('corrects a token estimate to the actual tokens on settle', async () => {
      const c = get();
      const t = tag();
      const r = admitted(await c.reserve([tpm(t, 1000, 800)], T0));
      expect((await c.reserve([tpm(t, 1000, 300)], T0)).ok).toBe(false);
      await c.settle(r, { costNano: 0, tokens: 100 }, T0);
      admitted(await c.reserve([tpm(t, 1000, 300)], T0));
      expect((await c.read([tpm(t, 1000, 0)], T0))[0]?.used).toBe(400);
    });

    it('applies requests made all at once each whole and in the order made', async () => {
      const c = get();
      const t = tag();
      await c.seedBudget(`${t}:budget:hard`, 0, T0 + 86_400_000);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => c.reserve([rpm(t, 3), budget(t, 1_000, 100 + i)], T0)),
      );
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false, false, false, false, false]);
      // The refused ones took nothing from the budget: only the three admitted holds count.
      expect((await c.read([budget(t, 1_000, 0)], T0))[0]?.used).toBe(100 + 101 + 102);
      const settled = await Promise.all(
        outcomes.slice(0, 3).map((o) => c.settle(admitted(o), { costNano: 7, tokens: 0 }, T0)),
      );
      expect(settled.map((states) => states[0]?.used)).toEqual([7 + 101 + 102, 7 + 7 + 102, 21]);
    });

    it('gives a released request back entirely', async () => {
      const c = get();
      const t = tag();
      const r = admitted(await c.reserve([rpm(t, 1)], T0));
      await c.release(r, T0);
      admitted(await c.reserve([rpm(t, 1)], T0));
    });
  });
}

function describeConcurrencyAndBudgets(get: () => Counters) {
  describe('concurrency and budgets', () => {
    it('holds a concurrency slot until the request settles', async () => {
      const c = get();
      const t = tag();
      const first = admitted(await c.reserve([slots(t, 1)], T0));
      expect(await c.reserve([slots(t, 1)], T0)).toMatchObject({ ok: false, retryAfterMs: 1000 });
      await c.settle(first, { costNano: 0, tokens: 0 }, T0);
      admitted(await c.reserve([slots(t, 1)], T0));
    });

    it('asks for a budget to be seeded from the ledger before reserving against it', async () => {
      const c = get();
      const t = tag();
      const claims = [rpm(t, 5), budget(t, 1_000, 100)];
      expect(await c.reserve(claims, T0)).toEqual({ ok: false, unseeded: [`${t}:budget:hard`] });
      await c.seedBudget(`${t}:budget:hard`, 850, T0 + 86_400_000);
      await c.seedBudget(`${t}:budget:hard`, 0, T0 + 86_400_000);
      const ok = await c.reserve(claims, T0);
      expect(ok.ok && ok.states[1]).toMatchObject({ used: 950, remaining: 50, limit: 1_000 });
    });

    it('refuses a reservation that would exceed a hard budget, and counts soft ones without refusing', async () => {
      const c = get();
      const t = tag();
      await c.seedBudget(`${t}:budget:hard`, 0, T0 + 86_400_000);
      await c.seedBudget(`${t}:budget:soft`, 0, T0 + 86_400_000);
      admitted(await c.reserve([budget(t, 1_000, 600)], T0));
      const refused = await c.reserve([budget(t, 1_000, 600)], T0);
      expect(refused).toMatchObject({ ok: false, refused: { counter: `${t}:budget:hard` } });
      expect(refused.ok === false && 'retryAfterMs' in refused && refused.retryAfterMs).toBe(86_400_000);
      admitted(await c.reserve([budget(t, 1_000, 600, false)], T0));
      admitted(await c.reserve([budget(t, 1_000, 600, false)], T0));
    });

    it('replaces the held amount by the actual cost on settle, and frees it all on release', async () => {
      const c = get();
      const t = tag();
      await c.seedBudget(`${t}:budget:hard`, 100, T0 + 86_400_000);
      const held = admitted(await c.reserve([budget(t, 1_000, 500)], T0));
      const states = await c.settle(held, { costNano: 120, tokens: 0 }, T0);
      expect(states).toMatchObject([{ kind: 'budget', used: 220, remaining: 780 }]);
      const released = admitted(await c.reserve([budget(t, 1_000, 700)], T0));
      await c.release(released, T0);
      expect(await c.read([budget(t, 1_000, 0)], T0)).toMatchObject([{ used: 220 }]);
    });

    it('takes all claims of a request or none: a refusal consumes nothing from the others', async () => {
      const c = get();
      const t = tag();
      await c.seedBudget(`${t}:budget:hard`, 0, T0 + 86_400_000);
      const claims = [rpm(t, 10), slots(t, 5), budget(t, 1_000, 2_000)];
      expect(await c.reserve(claims, T0)).toMatchObject({ ok: false, refused: { kind: 'budget' } });
      expect(withoutNegativeZero(await c.read(claims, T0)).map((s) => s.used)).toEqual([0, 0, 0]);
    });

    it('keeps budgets beyond 32 bits exact', async () => {
      const c = get();
      const t = tag();
      const big = 3_000_000_000_007;
      await c.seedBudget(`${t}:budget:hard`, big, T0 + 86_400_000);
      const r = admitted(await c.reserve([budget(t, 4 * big, big)], T0));
      await c.settle(r, { costNano: big + 1, tokens: 0 }, T0);
      expect(await c.read([budget(t, 4 * big, 0)], T0)).toMatchObject([{ used: 2 * big + 1 }]);
    });
  });
}

/**
 * The reference model: the limits as the design states them, in the plainest code. GCRA for rates
 * (a burst of `limit`, then `limit` evenly per window), a count for slots, spent + held for budgets.
 */
function createModel() {
  const tats = new Map<string, number>();
  const used = new Map<string, number>();
  const take = (counter: string, by: number) => used.set(counter, (used.get(counter) ?? 0) + by);
  const fits = (claim: LimitClaim, now: number): boolean => {
    if (claim.kind === 'rate') {
      const interval = claim.windowMs / claim.limit;
      return Math.max(tats.get(claim.counter) ?? now, now) + claim.amount * interval - now <= claim.windowMs;
    }
    if (claim.kind === 'concurrency') return (used.get(claim.counter) ?? 0) < claim.limit;
    return !claim.hard || (used.get(claim.counter) ?? 0) + claim.amountNano <= claim.limitNano;
  };
  return {
    reserve(claims: readonly LimitClaim[], now: number): LimitClaim | null {
      const refused = claims.find((claim) => !fits(claim, now));
      if (refused) return refused;
      for (const claim of claims) {
        if (claim.kind === 'rate') {
          const tat = Math.max(tats.get(claim.counter) ?? now, now);
          tats.set(claim.counter, tat + (claim.amount * claim.windowMs) / claim.limit);
        } else take(claim.counter, claim.kind === 'budget' ? claim.amountNano : 1);
      }
      return null;
    },
    giveBack(claims: readonly LimitClaim[], actual: { costNano: number; tokens: number } | null) {
      for (const claim of claims) {
        if (claim.kind === 'rate') {
          const back =
            actual === null ? claim.amount : claim.unit === 'tokens' ? claim.amount - actual.tokens : 0;
          const tat = tats.get(claim.counter);
          if (tat !== undefined) tats.set(claim.counter, tat - (back * claim.windowMs) / claim.limit);
        } else if (claim.kind === 'concurrency') take(claim.counter, -1);
        else take(claim.counter, (actual?.costNano ?? 0) - claim.amountNano);
      }
    },
    spent: (counter: string) => used.get(counter) ?? 0,
  };
}

/**
 * Requests (reserve) and their ends (settle or release of one still open), each some ms after the
 * last; `together`: made in the same turn of the event loop as the next one, without waiting.
 */
const steps = fc.array(
  fc.oneof(
    fc.record({
      op: fc.constant('reserve' as const),
      after: fc.integer({ min: 0, max: 20_000 }),
      together: fc.boolean(),
      tokens: fc.integer({ min: 1, max: 400 }),
      cost: fc.integer({ min: 1, max: 600 }),
      soft: fc.boolean(),
    }),
    fc.record({
      op: fc.constantFrom('settle' as const, 'release' as const),
      after: fc.integer({ min: 0, max: 20_000 }),
      together: fc.boolean(),
      pick: fc.nat(),
      tokens: fc.integer({ min: 0, max: 500 }),
      costShare: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  ),
  { maxLength: 40 },
);

type Steps = typeof steps extends fc.Arbitrary<infer T> ? T : never;

function describeAgainstModel(get: () => Counters) {
  describe('against the reference model', () => {
    it('admits, refuses and settles exactly as the model does, for random requests at random times', async () => {
      await fc.assert(
        fc.asyncProperty(steps, (sequence) => matchesModel(get(), sequence, false)),
        { numRuns: 60 },
      );
    });

    it('does the same for requests made several at once, applying them in the order made', async () => {
      await fc.assert(
        fc.asyncProperty(steps, (sequence) => matchesModel(get(), sequence, true)),
        { numRuns: 60 },
      );
    });
  });
}

/**
 * Runs `sequence` against the counters and the model side by side. With `together`, a step marked
 * so is not waited for before the next is made; whatever is outstanding is waited for, and the
 * counters compared with the model, at each step not so marked.
 */
async function matchesModel(c: Counters, sequence: Steps, together: boolean) {
  const model = createModel();
  const t = tag();
  const budgetLimit = 2_000;
  await c.seedBudget(`${t}:budget:hard`, 0, T0 + 86_400_000);
  await c.seedBudget(`${t}:budget:soft`, 0, T0 + 86_400_000);
  const open: Reservation[] = [];
  let outstanding: Promise<void>[] = [];
  let now = T0;
  for (const step of sequence) {
    now += step.after;
    if (step.op === 'reserve') {
      const claims = [
        rpm(t, 4),
        tpm(t, 1_000, step.tokens),
        slots(t, 3),
        budget(t, budgetLimit, step.cost, !step.soft),
      ];
      const expected = model.reserve(claims, now);
      outstanding.push(
        c.reserve(claims, now).then((outcome) => {
          expect(outcome.ok ? null : 'refused' in outcome ? outcome.refused : outcome).toEqual(expected);
          if (outcome.ok) open.push(outcome.reservation);
        }),
      );
    } else if (open.length > 0) {
      const [reservation] = open.splice(step.pick % open.length, 1) as [Reservation];
      const held = reservation.claims.find((claim) => claim.kind === 'budget') as BudgetClaim;
      const actual = { costNano: Math.floor(held.amountNano * step.costShare), tokens: step.tokens };
      model.giveBack(reservation.claims, step.op === 'settle' ? actual : null);
      outstanding.push(
        step.op === 'settle'
          ? c.settle(reservation, actual, now).then(() => undefined)
          : c.release(reservation, now),
      );
    }
    if (together && step.together) continue;
    await Promise.all(outstanding);
    outstanding = [];
    const states = await c.read(
      [budget(t, budgetLimit, 0), budget(t, budgetLimit, 0, false), slots(t, 3)],
      now,
    );
    expect(states.map((s) => s.used)).toEqual([
      model.spent(`${t}:budget:hard`),
      model.spent(`${t}:budget:soft`),
      model.spent(`${t}:conc`),
    ]);
  }
  await Promise.all(outstanding);
  expect(model.spent(`${t}:budget:hard`)).toBeLessThanOrEqual(budgetLimit);
}
