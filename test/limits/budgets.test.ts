import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LimitsEnv, startLimitsEnv, streamChat } from './limits-env.js';

const OUTPUT = 300;

describe('hard budgets under concurrency', () => {
  let env: LimitsEnv;
  /** What one of the flood's requests really costs, measured through an unlimited key. */
  let unitCost: number;

  beforeAll(async () => {
    env = await startLimitsEnv();
    await env.project('probe');
    const probe = await env.key('probe');
    expect(await streamChat(env.client(probe.key), OUTPUT)).toBe('ok');
    unitCost = (await env.spend(`key=${probe.id}`)).cost_usd;
    expect(unitCost).toBeGreaterThan(0);
  });

  afterAll(() => env.close());

  it('200 parallel streams against a budget that fits 50 never overspend, and admit all but one of them', async () => {
    const budget = unitCost * 50.5;
    await env.project('flood');
    const key = await env.key('flood', { budgets: [{ usd: budget, period: 'day' }] });
    const client = env.client(key.key);
    const results = await Promise.all(Array.from({ length: 200 }, () => streamChat(client, OUTPUT)));

    const spend = await env.spend(`key=${key.id}`);
    const admitted = results.filter((r) => r === 'ok').length;
    expect(spend.cost_usd).toBeLessThanOrEqual(budget);
    expect(admitted).toBeGreaterThanOrEqual(49);
    expect(spend.requests).toBe(admitted);
    expect(results.filter((r) => r !== 'ok').every((r) => r === 429)).toBe(true);
  });

  it('a project budget shared by 5 keys holds the same way', async () => {
    const budget = unitCost * 50.5;
    const project = await env.project('shared', { budgets: [{ usd: budget, period: 'day' }] });
    const clients = await Promise.all(
      Array.from({ length: 5 }, async () => env.client((await env.key('shared')).key)),
    );
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => streamChat(clients[i % 5] as OpenAI, OUTPUT)),
    );

    const spend = await env.spend(`project=${project.id}`);
    const admitted = results.filter((r) => r === 'ok').length;
    expect(spend.cost_usd).toBeLessThanOrEqual(budget);
    expect(admitted).toBeGreaterThanOrEqual(49);
  });

  it('refuses in the SDK as a RateLimitError naming the budget, what remains and when it resets', async () => {
    await env.project('small');
    const key = await env.key('small', { budgets: [{ usd: unitCost * 1.5, period: 'day' }] });
    expect(await streamChat(env.client(key.key), OUTPUT)).toBe('ok');
    const error = await env
      .client(key.key)
      .chat.completions.create({
        model: 'gpt-4o-mini',
        max_tokens: OUTPUT,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const refusal = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(refusal.code).toBe('budget_exceeded');
    expect(refusal.message).toMatch(/per-day budget with \$[\d.]+ left.*resets at 2026-11-29T00:00:00.000Z/);
    expect(refusal.headers?.get('retry-after')).toBe(String(12 * 3600));
    expect(refusal.headers?.get('x-should-retry')).toBe('false');
  });

  // Last: it stops the shared gateway.
  it('starts a new period from zero, and keeps the period spend across a restart', async () => {
    await env.project('daily');
    const key = await env.key('daily', { budgets: [{ usd: unitCost * 1.5, period: 'day' }] });
    const client = env.client(key.key);
    expect(await streamChat(client, OUTPUT)).toBe('ok');
    expect(await streamChat(client, OUTPUT)).toBe(429);

    // The spent budget survives a restart: counters are seeded from the usage ledger.
    await env.gw.flushUsage();
    const dataDir = env.gw.dataDir;
    await env.gw.stop();
    const restarted = await startLimitsEnv(dataDir, env.clock);
    try {
      const again = restarted.client(key.key);
      expect(await streamChat(again, OUTPUT)).toBe(429);
      restarted.clock.set(Date.parse('2026-11-29T00:00:00Z'));
      expect(await streamChat(again, OUTPUT)).toBe('ok');
      const shown = await restarted.gw.admin('GET', `/admin/v1/keys/${key.id}`);
      const [usage] = shown.body.limits_usage;
      expect(usage).toMatchObject({
        limit: 'budget',
        period: 'day',
        soft: false,
        resets_at: '2026-11-30T00:00:00.000Z',
      });
      expect(usage.used).toBeCloseTo(unitCost, 9);
    } finally {
      // The first gateway is already stopped (stop is idempotent); its fake upstream closes in afterAll.
      await restarted.close();
    }
  });
});
