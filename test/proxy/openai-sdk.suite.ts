import type OpenAI from 'openai';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionText, DEFAULT_OPENAI_KEY, speechBytes, tokenText } from '../fakes/fake-upstream.js';
import { eventually, GROQ_KEY, type ProxyEnv, startProxyEnv } from './proxy-env.js';

describe('proxy with the official OpenAI SDK', () => {
  let env: ProxyEnv;

  beforeAll(async () => {
    env = await startProxyEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** The fake's served records added since `from`. */
  const servedSince = (from: number) => env.fake.served.slice(from);

  it('forwards a non-streaming chat completion and returns the upstream answer unchanged', async () => {
    const { id, key } = await env.createKey();
    const client = env.openai(key);
    const before = env.fake.served.length;
    const completion = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say something please' }] },
      { headers: { 'x-fake-output-tokens': '7' } },
    );
    expect(completion.choices[0]?.message.content).toBe(completionText(7));
    expect(completion.usage?.completion_tokens).toBe(7);
    const served = servedSince(before);
    expect(served).toHaveLength(1);
    expect(completion.usage?.prompt_tokens).toBe(served[0]?.input);

    const upstream = env.fake.requests.at(-1);
    expect(upstream?.path).toBe('/v1/chat/completions');
    expect(upstream?.headers.authorization).toBe(`Bearer ${DEFAULT_OPENAI_KEY}`);

    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'gpt-4o-mini',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 7,
        }),
      ]);
    });
  });

  it('forwards a large non-streaming answer whole, with its usage', async () => {
    const { key } = await env.createKey();
    // Tens of thousands of words: far more than arrives in one read of the upstream socket.
    const completion = await env
      .openai(key)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write at length' }] },
        { headers: { 'x-fake-output-tokens': '30000' } },
      );
    expect(completion.choices[0]?.message.content).toBe(completionText(30_000));
    expect(Buffer.byteLength(completion.choices[0]?.message.content ?? '')).toBeGreaterThan(128 * 1024);
    expect(completion.usage?.completion_tokens).toBe(30_000);
  });

  it('streams chat chunk by chunk with the usage chunk when the client asks for include_usage', async () => {
    const { id, key } = await env.createKey();
    const client = env.openai(key);
    const before = env.fake.served.length;
    const stream = await client.chat.completions.create(
      {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'stream with usage' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: { 'x-fake-output-tokens': '6', 'x-fake-cached-tokens': '2' } },
    );
    let text = '';
    const usages: OpenAI.CompletionUsage[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(text).toBe(completionText(6));
    const served = servedSince(before);
    expect(served).toHaveLength(1);
    expect(usages).toEqual([
      expect.objectContaining({
        prompt_tokens: served[0]?.input,
        completion_tokens: 6,
        prompt_tokens_details: expect.objectContaining({ cached_tokens: 2 }),
      }),
    ]);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'gpt-4o',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 6,
        }),
      ]);
    });
  });

  it('streams chat without a usage chunk when the client did not ask, yet meters the usage', async () => {
    const { id, key } = await env.createKey();
    const client = env.openai(key);
    const before = env.fake.served.length;
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream without usage' }], stream: true },
      { headers: { 'x-fake-output-tokens': '9' } },
    );
    let text = '';
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe(completionText(9));
    expect(chunks.filter((c) => c.choices.length === 0)).toEqual([]);
    expect(chunks.filter((c) => c.usage != null)).toEqual([]);

    const served = servedSince(before);
    expect(served).toHaveLength(1);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'gpt-4o-mini',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 9,
        }),
      ]);
    });
  });

  it('passes a stream through as it arrives instead of buffering the whole response', async () => {
    const { key } = await env.createKey();
    const client = env.openai(key);
    const started = Date.now();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow stream' }], stream: true },
      { headers: { 'x-fake-output-tokens': '6', 'x-fake-delay-ms': '80' } },
    );
    let firstContentAt = 0;
    let text = '';
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece && !firstContentAt) firstContentAt = Date.now();
      text += piece;
    }
    const finishedAt = Date.now();
    expect(text).toBe(completionText(6));
    // The upstream spends ~9 × 80 ms on this stream; the first token must arrive long before the end.
    expect(finishedAt - started).toBeGreaterThanOrEqual(550);
    expect(finishedAt - firstContentAt).toBeGreaterThanOrEqual(350);
  });

  it('forwards the responses API without streaming', async () => {
    const { id, key } = await env.createKey();
    const client = env.openai(key);
    const before = env.fake.served.length;
    const response = await client.responses.create(
      { model: 'gpt-4o', input: 'Tell me about gateways', instructions: 'Be brief.' },
      { headers: { 'x-fake-output-tokens': '4', 'x-fake-cached-tokens': '1' } },
    );
    expect(response.output_text).toBe(completionText(4));
    const served = servedSince(before);
    expect(response.usage).toMatchObject({
      input_tokens: served[0]?.input,
      output_tokens: 4,
      input_tokens_details: { cached_tokens: 1 },
    });
    expect(env.fake.requests.at(-1)?.path).toBe('/v1/responses');
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'gpt-4o',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 4,
        }),
      ]);
    });
  });

  it('streams the responses API event by event and meters the usage of response.completed', async () => {
    const { id, key } = await env.createKey();
    const client = env.openai(key);
    const before = env.fake.served.length;
    const stream = client.responses.stream(
      { model: 'gpt-4o-mini', input: 'stream a response' },
      { headers: { 'x-fake-output-tokens': '5' } },
    );
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas).toEqual([0, 1, 2, 3, 4].map(tokenText));
    expect(final.output_text).toBe(completionText(5));
    const served = servedSince(before);
    expect(served).toHaveLength(1);
    expect(final.usage?.output_tokens).toBe(5);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'gpt-4o-mini',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 5,
        }),
      ]);
    });
  });

  it('forwards embeddings (base64 by default in the SDK) and meters their prompt tokens', async () => {
    const { id, key } = await env.createKey();
    const client = env.openai(key);
    const before = env.fake.served.length;
    const result = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['the first text to embed', 'and a second one'],
    });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding).toHaveLength(8);
    expect(result.data[0]?.embedding[0]).toBeCloseTo(Math.sin(1) / 10, 5);
    const served = servedSince(before);
    expect(result.usage.prompt_tokens).toBe(served[0]?.input);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'text-embedding-3-small',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 0,
        }),
      ]);
    });
  });

  it("lists only the models the key's model scope allows", async () => {
    const scoped = await env.createKey({ scopes: { models: ['gpt-4o*'] } });
    const scopedIds: string[] = [];
    for await (const model of env.openai(scoped.key).models.list()) scopedIds.push(model.id);
    expect(scopedIds.sort()).toEqual(['gpt-4o', 'gpt-4o-mini']);

    const open = await env.createKey();
    const allIds: string[] = [];
    for await (const model of env.openai(open.key).models.list()) allIds.push(model.id);
    expect(allIds.sort()).toEqual(['gpt-4o', 'gpt-4o-mini', 'o3-mini', 'text-embedding-3-small']);
  });

  it('lists models for a key whose endpoint scope does not name models', async () => {
    const { key } = await env.createKey({ scopes: { endpoints: ['chat/completions'] } });
    const ids: string[] = [];
    for await (const model of env.openai(key).models.list()) ids.push(model.id);
    expect(ids).toContain('gpt-4o');
  });

  it('forwards moderations, image generation, binary speech and multipart transcription', async () => {
    const { key } = await env.createKey();
    const client = env.openai(key);

    const moderation = await client.moderations.create({ model: 'omni-moderation-latest', input: 'hello' });
    expect(moderation.results[0]?.flagged).toBe(false);

    const image = await client.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse' });
    expect(image.data?.[0]?.url).toMatch(/^https:\/\/images\.example\.invalid\//);

    const input = 'The quick brown fox jumps over the lazy dog.';
    const speech = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input });
    expect(speech.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await speech.arrayBuffer()).equals(speechBytes(input))).toBe(true);

    const audio = Buffer.alloc(3210, 7);
    const transcription = await client.audio.transcriptions.create({
      model: 'whisper-1',
      file: await toFile(audio, 'clip.mp3', { type: 'audio/mpeg' }),
    });
    expect(transcription.text).toBe('fake transcription of clip.mp3 (3210 bytes)');
    const upload = env.fake.requests.at(-1);
    expect(upload?.path).toBe('/v1/audio/transcriptions');
    expect(upload?.body.includes(audio)).toBe(true);
  });

  it('reaches an openai-compatible provider by name at /groq/v1 with its own credential and base path', async () => {
    const { id, key } = await env.createKey({ default_provider: 'openai' });
    const client = env.openai(key, { baseURL: `${env.gw.url}/groq/v1` });
    const openaiRequestsBefore = env.fake.requests.length;
    const groqBefore = env.groq.served.length;
    const completion = await client.chat.completions.create(
      { model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'hi groq' }] },
      { headers: { 'x-fake-output-tokens': '3' } },
    );
    expect(completion.choices[0]?.message.content).toBe(completionText(3));
    const upstream = env.groq.requests.at(-1);
    expect(upstream?.path).toBe('/openai/v1/chat/completions');
    expect(upstream?.headers.authorization).toBe(`Bearer ${GROQ_KEY}`);
    expect(env.fake.requests.length).toBe(openaiRequestsBefore);

    const served = env.groq.served.slice(groqBefore);
    await eventually(async () => {
      const usage = await env.usageByModel(id);
      expect(usage.data).toEqual([
        expect.objectContaining({
          model: 'llama-3.3-70b-versatile',
          requests: 1,
          input_tokens: served[0]?.input,
          output_tokens: 3,
        }),
      ]);
    });
  });

  it('also serves the OpenAI provider by name at /openai/v1', async () => {
    const { key } = await env.createKey({ default_provider: 'groq' });
    const client = env.openai(key, { baseURL: `${env.gw.url}/openai/v1` });
    const groqRequestsBefore = env.groq.requests.length;
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'by name' }],
    });
    expect(completion.choices[0]?.message.content).toBe(completionText(5));
    expect(env.fake.requests.at(-1)?.path).toBe('/v1/chat/completions');
    expect(env.groq.requests.length).toBe(groqRequestsBefore);
  });
});
