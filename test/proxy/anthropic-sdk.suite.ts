import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_MODELS,
  completionText,
  DEFAULT_ANTHROPIC_KEY,
  tokenText,
} from '../fakes/fake-upstream.js';
import { eventually, type ProxyEnv, startProxyEnv } from './proxy-env.js';

describe('proxy with the official Anthropic SDK', () => {
  let env: ProxyEnv;

  beforeAll(async () => {
    env = await startProxyEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  const QUESTION = 'What does a gateway do with my key?';
  const question = [{ role: 'user' as const, content: QUESTION }];

  it('forwards a non-streaming message with the Anthropic credential in x-api-key', async () => {
    const { id, key } = await env.createKey({ default_provider: 'anthropic' });
    const client = env.anthropic(key);
    const before = env.fake.served.length;
    const message = await client.messages.create(
      { model: 'claude-sonnet-4-6', max_tokens: 256, messages: question },
      { headers: { 'x-fake-output-tokens': '6', 'x-fake-cached-tokens': '20' } },
    );
    expect(message.content).toEqual([{ type: 'text', text: completionText(6) }]);
    expect(message.usage).toMatchObject({ output_tokens: 6, cache_read_input_tokens: 20 });

    const upstream = env.fake.requests.at(-1);
    expect(upstream?.path).toBe('/v1/messages');
    expect(upstream?.headers['x-api-key']).toBe(DEFAULT_ANTHROPIC_KEY);
    expect(upstream?.headers.authorization).toBeUndefined();
    expect(upstream?.headers['anthropic-version']).toBeTruthy();

    const served = env.fake.served.slice(before);
    expect(served).toHaveLength(1);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'claude-sonnet-4-6',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 6,
        }),
      ]);
    });
  });

  it('streams a message event by event and meters input from message_start and output from message_delta', async () => {
    const { id, key } = await env.createKey({ default_provider: 'anthropic' });
    const client = env.anthropic(key);
    const before = env.fake.served.length;
    const stream = client.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 256, messages: question },
      { headers: { 'x-fake-output-tokens': '8', 'x-fake-cached-tokens': '4' } },
    );
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    expect(deltas).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(tokenText));
    expect(final.usage.output_tokens).toBe(8);

    const served = env.fake.served.slice(before);
    expect(served).toHaveLength(1);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'claude-haiku-4-5',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 8,
        }),
      ]);
    });
  });

  it('forwards messages/count_tokens', async () => {
    const { key } = await env.createKey({ default_provider: 'anthropic' });
    const client = env.anthropic(key);
    const count = await client.messages.countTokens({ model: 'claude-sonnet-4-6', messages: question });
    expect(count.input_tokens).toBe(Math.ceil(QUESTION.length / 4));
    expect(env.fake.requests.at(-1)?.path).toBe('/v1/messages/count_tokens');
  });

  it("lists only the Anthropic models the key's model scope allows", async () => {
    const { key } = await env.createKey({
      default_provider: 'anthropic',
      scopes: { models: ['claude-sonnet-*'] },
    });
    const ids: string[] = [];
    for await (const model of env.anthropic(key).models.list()) ids.push(model.id);
    expect(ids).toEqual(ANTHROPIC_MODELS.filter((m) => m.startsWith('claude-sonnet-')));
  });

  it('works for a key whose default provider is OpenAI when called at /anthropic', async () => {
    const { key } = await env.createKey({ default_provider: 'openai' });
    const message = await env.anthropic(key).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: question,
    });
    expect(message.content[0]).toEqual({ type: 'text', text: completionText(5) });
  });
});
