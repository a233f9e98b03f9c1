import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDelegationClient } from '../../src/client/index.js';
import { type LimitsEnv, startLimitsEnv, streamChat } from '../limits/limits-env.js';

const OUTPUT = 300;

describe('delegated hard budgets', () => {
  let env: LimitsEnv;
  let unitCost: number;

  beforeAll(async () => {
    env = await startLimitsEnv();
    await env.project('agents');
    const probe = await env.key('agents');
    expect(await streamChat(env.client(probe.key), OUTPUT)).toBe('ok');
    unitCost = (await env.spend(`key=${probe.id}`)).cost_usd;
    expect(unitCost).toBeGreaterThan(0);
  });
  afterAll(() => env.close());

  const delegate = (key: string) => createDelegationClient({ baseUrl: env.gw.url, apiKey: key });

  /** Sends one request at a time until one is refused; returns how many got through. */
  const driveUntilRefused = async (key: string, cap = 40) => {
    for (let admitted = 0; admitted < cap; admitted++) {
      const result = await streamChat(env.client(key), OUTPUT);
      if (result !== 'ok') {
        expect(result).toBe(429);
        return admitted;
      }
    }
    throw new Error('never refused');
  };

  it('an agent and its sub-agent are both driven past their budgets: the child stops at its carve-out, the chain at the parent budget', async () => {
    const parentBudget = unitCost * 10.5;
    const parent = await env.key(
      'agents',
      { budgets: [{ usd: parentBudget, period: 'day' }] },
      { can_delegate: true },
    );

    // A child may not be promised more than the parent has left.
    await expect(
      delegate(parent.key).delegate({
        name: 'greedy-sub-agent',
        ttl_seconds: 600,
        limits: { budgets: [{ usd: unitCost * 20, period: 'day' }] },
      }),
    ).rejects.toMatchObject({ status: 400, code: 'validation_error' });

    const child = await delegate(parent.key).delegate({
      name: 'sub-agent',
      ttl_seconds: 600,
      limits: { budgets: [{ usd: unitCost * 4.5, period: 'day' }] },
    });
    const childAdmitted = await driveUntilRefused(child.key);
    expect(childAdmitted).toBeGreaterThanOrEqual(3);
    expect(childAdmitted).toBeLessThanOrEqual(4);

    // What the child spent counts against the parent too.
    const parentAdmitted = await driveUntilRefused(parent.key);
    expect(childAdmitted + parentAdmitted).toBeLessThanOrEqual(10);
    expect(childAdmitted + parentAdmitted).toBeGreaterThanOrEqual(9);
    const chainSpend =
      (await env.spend(`key=${parent.id}`)).cost_usd + (await env.spend(`key=${child.id}`)).cost_usd;
    expect(chainSpend).toBeLessThanOrEqual(parentBudget);

    // A child minted now gets only the crumbs left, and cannot afford a request.
    const late = await delegate(parent.key).delegate({ name: 'late-sub-agent', ttl_seconds: 600 });
    expect(late.limits.budgets?.[0]?.usd ?? 0).toBeLessThan(unitCost);
    expect(await streamChat(env.client(late.key), OUTPUT)).toBe(429);
  });

  it('a child that names no budget gets what the parent has left', async () => {
    const parent = await env.key(
      'agents',
      { budgets: [{ usd: unitCost * 5, period: 'day' }] },
      { can_delegate: true },
    );
    expect(await streamChat(env.client(parent.key), OUTPUT)).toBe('ok');
    const child = await delegate(parent.key).delegate({ name: 'inheriting-sub-agent', ttl_seconds: 600 });
    const carved = child.limits.budgets?.[0];
    expect(carved?.period).toBe('day');
    expect(carved?.usd).toBeGreaterThan(unitCost * 3.9);
    expect(carved?.usd).toBeLessThanOrEqual(unitCost * 4.0001);
  });
});
