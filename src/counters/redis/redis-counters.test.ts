import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, testRedisClient, testRedisPrefix } from '../../../test/helpers/services.js';
import type { BudgetClaim, ConcurrencyClaim, Counters, RateClaim } from '../counters.js';
import { describeCountersContract } from '../counters-contract.js';
import { openRedisCounters } from './redis-counters.js';

const T0 = Date.UTC(2025, 5, 1, 12);
const LEASE = 60_000;
const budget: BudgetClaim = {
  kind: 'budget',
  counter: '{prj_a}:budget:day',
  hard: true,
  limitNano: 1_000,
  amountNano: 400,
  resetAt: T0 + 86_400_000,
};
const slot: ConcurrencyClaim = { kind: 'concurrency', counter: '{prj_a}:conc', limit: 1 };

describe.skipIf(!redisUrl)('Redis counters', () => {
  describeCountersContract('Redis', () =>
    openRedisCounters({ url: redisUrl ?? '', prefix: testRedisPrefix() }),
  );

  describe('an instance that dies holding reservations', () => {
    let prefix: string;
    let crashed: Counters;
    let survivor: Counters;
    beforeAll(async () => {
      prefix = testRedisPrefix();
      crashed = await openRedisCounters({ url: redisUrl ?? '', prefix, leaseMs: LEASE });
      survivor = await openRedisCounters({ url: redisUrl ?? '', prefix, leaseMs: LEASE });
      await survivor.seedBudget(budget.counter, 100, budget.resetAt);
    });
    afterAll(async () => {
      await survivor.close();
    });

    it('has its budget holds settled at the reserved amount and its slots freed once the lease passes', async () => {
      const outcome = await crashed.reserve([budget, slot], T0);
      expect(outcome.ok).toBe(true);
      await crashed.close();

      // Within the lease the hold still counts and the slot is taken.
      expect(await survivor.reserve([slot], T0 + LEASE - 1)).toMatchObject({ ok: false });
      expect(await survivor.read([budget], T0 + LEASE - 1)).toMatchObject([{ used: 500 }]);

      const after = await survivor.reserve([budget, slot], T0 + LEASE + 1);
      expect(after).toMatchObject({ ok: true });
      expect(await survivor.read([budget], T0 + LEASE + 1)).toMatchObject([{ used: 900 }]);

      // The dead instance's reservation, settled late by someone, is not counted a second time.
      if (outcome.ok) {
        const late = await openRedisCounters({ url: redisUrl ?? '', prefix, leaseMs: LEASE });
        await late.settle(outcome.reservation, { costNano: 50, tokens: 0 }, T0 + LEASE + 2);
        expect(await late.read([budget], T0 + LEASE + 2)).toMatchObject([{ used: 900 }]);
        await late.close();
      }
    });

    it('keeps every key of a request in the slot of its hash tag', async () => {
      const redis = testRedisClient();
      const keys = await redis.keys(`${prefix}*`);
      await redis.quit();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key.slice(prefix.length).match(/\{[^}]*\}/)?.[0]).toBe('{prj_a}');
    });
  });

  describe('operations made in one turn of the event loop', () => {
    const rpm = (counter: string): RateClaim => ({
      kind: 'rate',
      counter,
      unit: 'requests',
      limit: 10,
      windowMs: 60_000,
      amount: 1,
    });

    it('fail alone when Redis refuses one of them, the others going ahead', async () => {
      const prefix = testRedisPrefix();
      const counters = await openRedisCounters({ url: redisUrl ?? '', prefix });
      const redis = testRedisClient();
      await redis.hset(`${prefix}{prj_b}:broken:rpm`, 'not', 'a rate');
      const outcomes = await Promise.allSettled([
        counters.reserve([rpm('{prj_b}:good:rpm')], T0),
        counters.reserve([rpm('{prj_b}:broken:rpm')], T0),
        counters.read([rpm('{prj_b}:good:rpm')], T0),
      ]);
      await redis.quit();
      await counters.close();
      expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { ok: true } });
      expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { message: /WRONGTYPE/ } });
      expect(outcomes[2]).toMatchObject({ status: 'fulfilled', value: [{ used: 1 }] });
    });

    it('go to Redis as one call per hash tag, each call within one Cluster slot', async () => {
      const prefix = testRedisPrefix();
      const counters = await openRedisCounters({ url: redisUrl ?? '', prefix });
      const monitor = await testRedisClient().monitor();
      const calls: string[][] = [];
      let bothSeen = () => {};
      const seen = new Promise<void>((resolve) => {
        bothSeen = resolve;
      });
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]?.toLowerCase() !== 'evalsha') return;
        const keys = args.slice(3, 3 + Number(args[2]));
        if (keys[0]?.startsWith(prefix)) calls.push(keys);
        if (calls.length === 2) bothSeen();
      });
      await Promise.all([
        counters.reserve([rpm('{prj_c}:a:rpm')], T0),
        counters.reserve([rpm('{prj_d}:a:rpm')], T0),
        counters.reserve([rpm('{prj_c}:b:rpm'), rpm('{prj_c}:c:rpm')], T0),
      ]);
      await seen;
      monitor.disconnect();
      await counters.close();
      const tags = calls.map((keys) => keys.map((key) => key.slice(prefix.length).match(/\{[^}]*\}/)?.[0]));
      expect(tags).toEqual([['{prj_c}', '{prj_c}', '{prj_c}'], ['{prj_d}']]);
    });
  });

  it('fails with counters_unavailable, at once, when Redis cannot be reached', async () => {
    await expect(openRedisCounters({ url: 'redis://127.0.0.1:1' })).rejects.toBeDefined();
    const redis = await openRedisCounters({ url: redisUrl ?? '', prefix: testRedisPrefix() });
    await redis.close();
    await expect(redis.read([slot], T0)).rejects.toMatchObject({ code: 'counters_unavailable' });
  });
});
