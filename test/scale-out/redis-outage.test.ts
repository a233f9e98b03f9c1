import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../cli/spawn-cli.js';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { redisUrl } from '../helpers/services.js';

/** A Redis of this test's own, so it can be killed and restarted without disturbing other suites. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.on('exit', () => reject(new Error(`redis-server exited: ${out}`)));
  });
  return child;
}

async function status(gw: TestGateway, key: string): Promise<number | string> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 });
  try {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    return 200;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return `${error.status} ${error.code}`;
    throw error;
  }
}

describe.skipIf(!redisUrl)('Redis going away and coming back', () => {
  let port: number;
  let redis: ChildProcess;
  let upstream: FakeUpstream;
  let closed: TestGateway;
  let open: TestGateway;
  const keys: Record<string, { rpm: string; budget: string }> = {};

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    upstream = await startFakeUpstream();
    const env = { REDIS_URL: `redis://127.0.0.1:${port}` };
    closed = await startGateway({ env: { ...env, KEYWARDEN_REDIS_PREFIX: 'closed:' } });
    open = await startGateway({
      env: { ...env, KEYWARDEN_REDIS_PREFIX: 'open:', KEYWARDEN_COUNTERS_ON_UNAVAILABLE: 'fail-open-rates' },
    });
    for (const [name, gw] of [
      ['closed', closed],
      ['open', open],
    ] as const) {
      await gw.admin('POST', '/admin/v1/providers', {
        name: 'openai',
        type: 'openai',
        base_url: upstream.url,
        api_key: DEFAULT_OPENAI_KEY,
      });
      await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
      const key = async (name: string, limits: unknown) =>
        (
          await gw.admin('POST', '/admin/v1/keys', {
            name,
            project: 'web',
            default_provider: 'openai',
            limits,
          })
        ).body.key as string;
      keys[name] = {
        rpm: await key('rpm', { rpm: 1000 }),
        budget: await key('budget', { budgets: [{ usd: 5, period: 'day' }] }),
      };
    }
  }, 60_000);

  afterAll(async () => {
    await closed?.stop();
    await open?.stop();
    await upstream?.close();
    redis?.kill('SIGKILL');
  });

  it('fails closed by default, fails open for rates only when asked, and recovers by itself', async () => {
    const closedKeys = keys.closed as { rpm: string; budget: string };
    const openKeys = keys.open as { rpm: string; budget: string };
    expect(await status(closed, closedKeys.rpm)).toBe(200);
    expect(await status(open, openKeys.budget)).toBe(200);

    redis.kill('SIGKILL');
    await once(redis, 'exit');
    expect(await status(closed, closedKeys.rpm)).toBe('503 counters_unavailable');
    expect(await status(closed, closedKeys.budget)).toBe('503 counters_unavailable');
    expect(await status(open, openKeys.rpm)).toBe(200);
    expect(await status(open, openKeys.budget)).toBe('503 counters_unavailable');

    redis = await startRedis(port);
    await expect.poll(() => status(closed, closedKeys.rpm), { timeout: 10_000, interval: 200 }).toBe(200);
    // The restarted Redis is empty: the budget is seeded again from the usage ledger.
    await expect.poll(() => status(open, openKeys.budget), { timeout: 10_000, interval: 200 }).toBe(200);
  });
});
