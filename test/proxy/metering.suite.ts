import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedRecord } from '../fakes/fake-upstream.js';
import { eventually, type ProxyEnv, startProxyEnv, type UsageRowView } from './proxy-env.js';

interface Expected {
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
}

function expectedByModel(served: ServedRecord[]): Expected[] {
  const rows = new Map<string, Expected>();
  for (const r of served) {
    const row = rows.get(r.model) ?? {
      model: r.model,
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      cached_tokens: 0,
    };
    row.requests++;
    row.input_tokens += r.input;
    row.output_tokens += r.output;
    row.cached_tokens += r.cached;
    rows.set(r.model, row);
  }
  return [...rows.values()].sort((a, b) => a.model.localeCompare(b.model));
}

function observed(rows: UsageRowView[]): Expected[] {
  return rows
    .map((r) => ({
      model: r.model ?? '(none)',
      requests: r.requests,
      input_tokens: r.input_tokens,
      output_tokens: r.output_tokens,
      cached_tokens: r.cached_tokens ?? Number.NaN,
    }))
    .sort((a, b) => a.model.localeCompare(b.model));
}

describe('usage metering', () => {
  let env: ProxyEnv;

  beforeAll(async () => {
    env = await startProxyEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('records per model exactly the tokens and requests the upstream reported, over concurrent JSON and stream traffic', async () => {
    const { id, key } = await env.createKey();
    env.fake.reset();
    const openai = env.openai(key);
    const anthropic = env.anthropic(key);
    const msgs = (text: string) => [{ role: 'user' as const, content: text }];
    const fake = (output: number, cached = 0) => ({
      headers: { 'x-fake-output-tokens': String(output), 'x-fake-cached-tokens': String(cached) },
    });
    const drain = async (stream: AsyncIterable<unknown>) => {
      for await (const _ of stream) {
        // consume
      }
    };

    await Promise.all([
      openai.chat.completions.create({ model: 'gpt-4o', messages: msgs('a plain completion') }, fake(3)),
      openai.chat.completions.create({ model: 'gpt-4o', messages: msgs('cached prompt here') }, fake(11, 64)),
      openai.chat.completions
        .create(
          {
            model: 'gpt-4o-mini',
            messages: msgs('streamed, usage asked'),
            stream: true,
            stream_options: { include_usage: true },
          },
          fake(7, 5),
        )
        .then(drain),
      openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: msgs('streamed, usage not asked'), stream: true }, fake(13))
        .then(drain),
      openai.chat.completions
        .create({ model: 'o3-mini', messages: msgs('x'.repeat(400)), stream: true }, fake(2))
        .then(drain),
      openai.responses.create({ model: 'gpt-4o', input: 'responses, json' }, fake(4, 2)),
      openai.responses
        .create({ model: 'gpt-4o-mini', input: 'responses, stream', stream: true }, fake(6))
        .then(drain),
      openai.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two', 'three'] }),
      anthropic.messages.create(
        { model: 'claude-sonnet-4-6', max_tokens: 100, messages: msgs('anthropic json') },
        fake(9, 100),
      ),
      anthropic.messages
        .create(
          { model: 'claude-sonnet-4-6', max_tokens: 100, messages: msgs('anthropic stream'), stream: true },
          fake(12, 30),
        )
        .then(drain),
      anthropic.messages
        .create(
          { model: 'claude-haiku-4-5', max_tokens: 100, messages: msgs('haiku'), stream: true },
          fake(1),
        )
        .then(drain),
    ]);

    const expected = expectedByModel(env.fake.served);
    expect(expected.reduce((n, r) => n + r.requests, 0)).toBe(11);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(observed(usage.data)).toEqual(expected);
      const totals = env.fake.totals();
      expect(usage.totals).toMatchObject({
        requests: env.fake.served.length,
        input_tokens: totals.input,
        output_tokens: totals.output,
      });
    });
  });

  it('meters the cached prompt tokens the upstream reported', async () => {
    const { id, key } = await env.createKey();
    const before = env.fake.served.length;
    await env
      .openai(key)
      .chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'cache me' }] },
        { headers: { 'x-fake-cached-tokens': '48' } },
      );
    await env
      .anthropic(key)
      .messages.create(
        { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'cache me' }] },
        { headers: { 'x-fake-cached-tokens': '16' } },
      );
    const served = env.fake.served.slice(before);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(observed(usage.data)).toEqual(expectedByModel(served));
    });
  });

  it('prices a known model: cost_usd is a positive number', async () => {
    const { id, key } = await env.createKey();
    await env
      .openai(key)
      .chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'price me' }] },
        { headers: { 'x-fake-output-tokens': '1000' } },
      );
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      const row = usage.data.find((r) => r.model === 'gpt-4o');
      expect(typeof row?.cost_usd).toBe('number');
      expect(row?.cost_usd).toBeGreaterThan(0);
    });
  });

  it('does not meter tokens for a request the upstream failed', async () => {
    const { id, key } = await env.createKey();
    await env
      .openai(key)
      .chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'fail' }] },
        { headers: { 'x-fake-status': '400' } },
      )
      .catch(() => undefined);
    const usage = await env.usageByModel(id);
    expect(usage.totals).toMatchObject({ input_tokens: 0, output_tokens: 0 });
  });
});
