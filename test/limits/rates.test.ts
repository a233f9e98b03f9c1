import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LimitsEnv, startLimitsEnv, streamChat } from './limits-env.js';

const hello = [{ role: 'user' as const, content: 'hi' }];

describe('rate, concurrency and output limits', () => {
  let env: LimitsEnv;

  beforeAll(async () => {
    env = await startLimitsEnv();
    await env.project('web');
  });

  afterAll(() => env.close());

  interface Outcome {
    status: number;
    headers: Headers | undefined;
    error?: InstanceType<typeof OpenAI.APIError>;
  }

  const chat = (client: OpenAI, extra: Record<string, unknown> = {}): Promise<Outcome> =>
    client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, ...extra })
      .withResponse()
      .then(
        ({ response }): Outcome => ({ status: 200, headers: response.headers }),
        (error: unknown) => {
          if (error instanceof OpenAI.APIError)
            return { status: error.status ?? 0, headers: error.headers, error };
          throw error;
        },
      );

  it('admits a burst of rpm, then one request per interval: no double burst at a window edge', async () => {
    const client = env.client((await env.key('web', { rpm: 10 })).key);
    env.clock.advance(59_900); // late in a "minute", as a fixed window would see it
    for (let i = 0; i < 10; i++) expect((await chat(client)).status).toBe(200);
    const refused = await chat(client);
    expect(refused.status).toBe(429);
    expect(refused.headers?.get('retry-after')).toBe('6');
    expect(refused.headers?.get('x-ratelimit-remaining-requests')).toBe('0');

    env.clock.advance(200); // a fixed window would reset here and admit 10 more
    expect((await chat(client)).status).toBe(429);
    env.clock.advance(5_800); // one interval (60 s / 10) after the burst
    expect((await chat(client)).status).toBe(200);
    expect((await chat(client)).status).toBe(429);
    env.clock.advance(60_000); // a whole quiet minute refills the burst
    for (let i = 0; i < 10; i++) expect((await chat(client)).status).toBe(200);
  });

  it('sends OpenAI rate-limit headers on success, read by the SDK', async () => {
    const client = env.client((await env.key('web', { rpm: 60, tpm: 100_000 })).key);
    const ok = await chat(client);
    expect(ok.status).toBe(200);
    expect(ok.headers?.get('x-ratelimit-limit-requests')).toBe('60');
    expect(ok.headers?.get('x-ratelimit-remaining-requests')).toBe('59');
    expect(ok.headers?.get('x-ratelimit-reset-requests')).toBe('1s');
    expect(ok.headers?.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(Number(ok.headers?.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100_000);
  });

  it('counts tokens per minute from the estimate, then corrects to what was used', async () => {
    const key = await env.key('web', { tpm: 1_000 });
    const client = env.client(key.key);
    // Each request reserves ~8 prompt tokens + 400 output tokens, and really uses 1 + 10.
    for (let i = 0; i < 10; i++) {
      expect((await chat(client, { max_tokens: 400 })).status).toBe(200);
    }
    const shown = await env.gw.admin('GET', `/admin/v1/keys/${key.id}`);
    const tpm = shown.body.limits_usage.find((u: { limit: string }) => u.limit === 'tpm');
    expect(tpm.used).toBeGreaterThan(0);
    expect(tpm.used).toBeLessThan(200);
    expect((await chat(client, { max_tokens: 1_200 })).status).toBe(429);
  });

  it('holds concurrent requests to the concurrency limit and frees slots as they end', async () => {
    const client = env.client((await env.key('web', { concurrency: 2 })).key);
    const slow = () =>
      client.chat.completions
        .create(
          { model: 'gpt-4o-mini', messages: hello, stream: true },
          { headers: { 'x-fake-delay-ms': '30' } },
        )
        .then(async (stream) => {
          for await (const _ of stream) {
            // drain
          }
          return 200;
        })
        .catch((error: unknown) =>
          error instanceof OpenAI.APIError ? (error.status ?? 0) : Promise.reject(error),
        );
    const statuses = await Promise.all([slow(), slow(), slow(), slow()]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect((await chat(client)).status).toBe(200);
  });

  it('clamps max_tokens above the limit by default, and rejects it in reject mode', async () => {
    const clampKey = await env.key('web', { max_tokens: 100 });
    expect((await chat(env.client(clampKey.key), { max_tokens: 1_000 })).status).toBe(200);
    expect(env.fake.requests.at(-1)?.json).toMatchObject({ max_tokens: 100 });

    const rejectKey = await env.key('web', { max_tokens: 100, max_tokens_mode: 'reject' });
    const before = env.fake.requests.length;
    const refused = await chat(env.client(rejectKey.key), { max_tokens: 1_000 });
    expect(refused.status).toBe(400);
    expect(refused.error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused.error as InstanceType<typeof OpenAI.APIError>).code).toBe('max_tokens_exceeded');
    expect(env.fake.requests.length).toBe(before);
    expect((await chat(env.client(rejectKey.key), { max_tokens: 100 })).status).toBe(200);
  });

  it('bounds a request with no max_tokens when a budget applies, so the reservation holds', async () => {
    const key = await env.key('web', { budgets: [{ usd: 1, period: 'day' }] });
    expect((await chat(env.client(key.key))).status).toBe(200);
    expect(env.fake.requests.at(-1)?.json).toMatchObject({ max_completion_tokens: 4096 });
  });

  it('applies changed limits to the very next request', async () => {
    const key = await env.key('web', { rpm: 1 });
    const client = env.client(key.key);
    expect((await chat(client)).status).toBe(200);
    expect((await chat(client)).status).toBe(429);
    const patched = await env.gw.admin('PATCH', `/admin/v1/keys/${key.id}`, { limits: { rpm: 100 } });
    expect(patched.status).toBe(200);
    expect((await chat(client)).status).toBe(200);
  });

  it('caps the sum of a project’s keys with the project’s own rate', async () => {
    await env.project('capped', { rpm: 3 });
    const clients = await Promise.all(
      [1, 2, 3].map(async () => env.client((await env.key('capped', { rpm: 100 })).key)),
    );
    const statuses = [];
    for (const client of [...clients, ...clients]) statuses.push((await chat(client)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    const refused = await chat(clients[0] as OpenAI);
    expect((refused.error as InstanceType<typeof OpenAI.APIError>).message).toContain("this key's project");
  });

  it('settles a stream the client abandons to what it delivered', async () => {
    const key = await env.key('web', { budgets: [{ usd: 5, period: 'day' }] });
    const client = env.client(key.key);
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, max_tokens: 50, messages: hello },
      { headers: { 'x-fake-output-tokens': '50', 'x-fake-delay-ms': '20' } },
    );
    let seen = 0;
    for await (const _ of stream) {
      if (++seen === 6) break; // role chunk + 5 content chunks, then the client goes away
    }
    let totals = await env.spend(`key=${key.id}`);
    for (let i = 0; i < 40 && totals.requests === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      totals = await env.spend(`key=${key.id}`);
    }
    expect(totals.requests).toBe(1);
    expect(totals.output_tokens).toBeGreaterThanOrEqual(5);
    expect(totals.output_tokens).toBeLessThan(50);
    expect(await streamChat(client, 10)).toBe('ok');
  });
});
