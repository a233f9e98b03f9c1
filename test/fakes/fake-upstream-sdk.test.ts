/**
 * The fake upstream speaks well enough for the official SDKs, called directly (no gateway): when a
 * proxy test fails, this file tells a fake bug from a gateway bug.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_MODELS,
  completionText,
  DEFAULT_ANTHROPIC_KEY,
  DEFAULT_OPENAI_KEY,
  type FakeUpstream,
  OPENAI_MODELS,
  speechBytes,
  startFakeUpstream,
  tokenText,
} from './fake-upstream.js';

describe('fake upstream with the official SDKs', () => {
  let fake: FakeUpstream;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    openai = new OpenAI({ apiKey: DEFAULT_OPENAI_KEY, baseURL: `${fake.url}/v1`, maxRetries: 0 });
    // This SDK sends apiKey as a bearer token; the real Anthropic API (and the fake) want x-api-key.
    anthropic = new Anthropic({
      apiKey: DEFAULT_ANTHROPIC_KEY,
      baseURL: fake.url,
      maxRetries: 0,
      defaultHeaders: { 'x-api-key': DEFAULT_ANTHROPIC_KEY, authorization: null },
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('OpenAI chat: JSON, stream with and without usage', async () => {
    const messages = [{ role: 'user' as const, content: 'hello' }];
    const json = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    expect(json.choices[0]?.message.content).toBe(completionText(5));
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(5);
    const plain = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let text = '';
    for await (const chunk of plain) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(completionText(5));
  });

  it('OpenAI responses: JSON and the stream helper', async () => {
    const json = await openai.responses.create({ model: 'gpt-4o', input: 'hi' });
    expect(json.output_text).toBe(completionText(5));
    const stream = openai.responses.stream(
      { model: 'gpt-4o', input: 'hi' },
      { headers: { 'x-fake-output-tokens': '3' } },
    );
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas).toEqual([0, 1, 2].map(tokenText));
    expect(final.output_text).toBe(completionText(3));
    expect(final.usage?.output_tokens).toBe(3);
  });

  it('OpenAI embeddings, models, moderations, images, speech, transcription', async () => {
    const embedding = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'abc' });
    expect(embedding.data[0]?.embedding).toHaveLength(8);
    expect(embedding.data[0]?.embedding[0]).toBeCloseTo(Math.sin(1) / 10, 5);
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(OPENAI_MODELS);
    expect((await openai.moderations.create({ input: 'x' })).results).toHaveLength(1);
    expect((await openai.images.generate({ prompt: 'x' })).data).toHaveLength(1);
    const speech = await openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'abc' });
    expect(Buffer.from(await speech.arrayBuffer()).equals(speechBytes('abc'))).toBe(true);
    const transcription = await openai.audio.transcriptions.create({
      model: 'whisper-1',
      file: await toFile(Buffer.alloc(10), 'a.mp3'),
    });
    expect(transcription.text).toBe('fake transcription of a.mp3 (10 bytes)');
  });

  it('OpenAI SDK raises its usual error classes for the fake error shapes', async () => {
    const bad = new OpenAI({ apiKey: 'wrong', baseURL: `${fake.url}/v1`, maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      openai.chat.completions.create(
        { model: 'gpt-4o', messages: [] },
        { headers: { 'x-fake-status': '429' } },
      ),
    ).rejects.toMatchObject({ status: 429, code: 'fake_429' });
  });

  it('Anthropic messages: JSON, stream helper, count_tokens, models', async () => {
    const params = {
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const json = await anthropic.messages.create(params);
    expect(json.content).toEqual([{ type: 'text', text: completionText(5) }]);
    const final = await anthropic.messages
      .stream(params, { headers: { 'x-fake-output-tokens': '4' } })
      .finalMessage();
    expect(final.content).toMatchObject([{ type: 'text', text: completionText(4) }]);
    expect(final.usage.output_tokens).toBe(4);
    expect((await anthropic.messages.countTokens(params)).input_tokens).toBe(1);
    const ids: string[] = [];
    for await (const model of anthropic.models.list()) ids.push(model.id);
    expect(ids).toEqual(ANTHROPIC_MODELS);
    await expect(
      anthropic.messages.create(params, { headers: { 'x-fake-status': '400' } }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('serves routes under a path prefix when asked to', async () => {
    const prefixed = await startFakeUpstream({ pathPrefix: '/openai' });
    try {
      const client = new OpenAI({
        apiKey: DEFAULT_OPENAI_KEY,
        baseURL: `${prefixed.url}/openai/v1`,
        maxRetries: 0,
      });
      const json = await client.chat.completions.create({ model: 'llama', messages: [] });
      expect(json.choices).toHaveLength(1);
      expect(prefixed.requests[0]?.path).toBe('/openai/v1/chat/completions');
      const unprefixed = await fetch(`${prefixed.url}/v1/models`, {
        headers: { authorization: `Bearer ${DEFAULT_OPENAI_KEY}` },
      });
      expect(unprefixed.status).toBe(404);
    } finally {
      await prefixed.close();
    }
  });
});
