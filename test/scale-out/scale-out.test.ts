import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { postgresUrl, redisUrl } from '../helpers/services.js';
import { type Fleet, type Instance, startFleet } from './fleet.js';

const client = (instance: Instance, key: string) =>
  new OpenAI({ apiKey: key, baseURL: `${instance.url}/v1`, maxRetries: 0, timeout: 20_000 });

/** One chat completion's HTTP status and error code (null when it succeeded). */
async function attempt(
  instance: Instance,
  key: string,
  body: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; code: string | null }> {
  try {
    await client(instance, key).chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], ...body },
      { headers },
    );
    return { status: 200, code: null };
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status ?? 0, code: String(error.code) };
    throw error;
  }
}

/** One chat completion; resolves to the request id the client saw, or null if it got no full answer. */
async function complete(instance: Instance, key: string, delayMs = 0): Promise<string | null> {
  try {
    const { data, response } = await client(instance, key)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] },
        { headers: { 'x-fake-delay-ms': String(delayMs) } },
      )
      .withResponse();
    return data.choices.length > 0 ? response.headers.get('x-request-id') : null;
  } catch {
    return null;
  }
}

describe.skipIf(!postgresUrl || !redisUrl)('three serve processes on one Postgres and one Redis', () => {
  let upstream: FakeUpstream;
  let fleet: Fleet;
  let A: Instance;
  let B: Instance;
  let C: Instance;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    fleet = await startFleet(3);
    [A, B, C] = fleet.instances as [Instance, Instance, Instance];
    const provider = await fleet.admin(A, 'POST', '/admin/v1/providers', {
      name: 'openai',
      type: 'openai',
      base_url: upstream.url,
      api_key: DEFAULT_OPENAI_KEY,
    });
    expect(provider.status).toBe(201);
    expect((await fleet.admin(A, 'POST', '/admin/v1/projects', { name: 'web' })).status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await fleet?.stop();
    await upstream?.close();
  });

  const createKey = async (on: Instance, name: string, limits?: unknown) => {
    const created = await fleet.admin(on, 'POST', '/admin/v1/keys', {
      name,
      project: 'web',
      default_provider: 'openai',
      ...(limits !== undefined && { limits }),
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; key: string };
  };

  it('refuses on instance C within 1 s a key revoked through instance A', async () => {
    const key = await createKey(B, 'revoked-elsewhere');
    // C has the key cached as valid.
    expect(await complete(C, key.key)).not.toBeNull();
    expect(await complete(C, key.key)).not.toBeNull();

    expect((await fleet.admin(A, 'POST', `/admin/v1/keys/${key.id}/revoke`)).status).toBe(200);
    const revokedAt = Date.now();
    let refusedAfter = Number.POSITIVE_INFINITY;
    while (Date.now() - revokedAt < 3_000) {
      const error = await client(C, key.key)
        .models.list()
        .then(() => null)
        .catch((e: unknown) => e);
      if (error instanceof OpenAI.AuthenticationError) {
        expect(error.code).toBe('key_revoked');
        refusedAfter = Date.now() - revokedAt;
        break;
      }
    }
    expect(refusedAfter).toBeLessThan(1_000);
  });

  it('never settles more than a hard budget under 300 concurrent requests spread over the instances', async () => {
    const budgetUsd = 0.01;
    const key = await createKey(C, 'one-budget', { budgets: [{ usd: budgetUsd, period: 'day' }] });
    upstream.reset();
    // ~1000 prompt tokens and 50 output tokens each: about 0.00018 USD, so roughly 55 fit the budget.
    const prompt = 'word '.repeat(800);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        attempt(
          fleet.instances[i % 3] as Instance,
          key.key,
          { messages: [{ role: 'user', content: prompt }], max_tokens: 50 },
          { 'x-fake-output-tokens': '50', 'x-fake-delay-ms': '50' },
        ),
      ),
    );
    const admitted = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.code === 'budget_exceeded').length;
    expect(admitted + refused).toBe(300);
    expect(admitted).toBeGreaterThan(10);
    expect(admitted).toBe(upstream.served.length);

    const usage = await fleet.admin(A, 'GET', `/admin/v1/usage?key=${key.id}`);
    expect(usage.body.totals.requests).toBe(admitted);
    expect(usage.body.totals.cost_usd).toBeGreaterThan(0);
    expect(usage.body.totals.cost_usd).toBeLessThanOrEqual(budgetUsd);
  });

  it('holds an RPM limit across the instances', async () => {
    const key = await createKey(A, 'one-rpm', { rpm: 30 });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) => attempt(fleet.instances[i % 3] as Instance, key.key)),
    );
    const elapsed = Date.now() - started;
    const admitted = results.filter((r) => r.status === 200).length;
    expect(
      results.filter((r) => r.status !== 200).every((r) => r.status === 429 && r.code === 'rate_limited'),
    ).toBe(true);
    // A burst of 30, then one more per 2 s at most while the flood lasted.
    expect(admitted).toBeGreaterThanOrEqual(30);
    expect(admitted).toBeLessThanOrEqual(30 + Math.ceil(elapsed / 2_000));
  });

  it('keeps serving when one instance is SIGKILLed mid-load, and loses no usage of an answer a client got', async () => {
    const key = await createKey(A, 'under-load');
    upstream.reset();
    const survivors = [A, C];
    const received: Promise<string | null>[] = [];
    const fromB: Promise<string | null>[] = [];
    for (let i = 0; i < 150; i++) {
      const target = [A, B, C][i % 3] as Instance;
      const answer = complete(target, key.key, 20 + (i % 7) * 30);
      received.push(answer);
      if (target === B) fromB.push(answer);
      if (i === 100) B.process.child.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const first = await Promise.all(received);
    // B answered some requests before it died, and the answers in flight on it were cut off.
    const answeredByB = (await Promise.all(fromB)).filter((id) => id !== null).length;
    expect(answeredByB).toBeGreaterThan(10);
    expect(answeredByB).toBeLessThan(fromB.length);
    // The survivors still answer everything after the kill.
    const after = await Promise.all(
      Array.from({ length: 30 }, (_, i) => complete(survivors[i % 2] as Instance, key.key)),
    );
    expect(after.every((id) => id !== null)).toBe(true);

    const answered = [...first, ...after].filter((id): id is string => id !== null);
    expect(answered.length).toBeGreaterThan(100);
    expect(answered.length).toBeLessThanOrEqual(upstream.served.length);
    // Every instance writes an answer's usage before the answer's last bytes leave it.
    const missing = async () => {
      const ids = await fleet.usageRequestIds();
      return answered.filter((id) => !ids.has(id));
    };
    await expect.poll(missing, { timeout: 5_000, interval: 200 }).toEqual([]);
  });
});
