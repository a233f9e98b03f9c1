import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  completionText,
  DEFAULT_ANTHROPIC_KEY,
  DEFAULT_OPENAI_KEY,
  DEFAULT_OUTPUT_TOKENS,
  type FakeUpstream,
  speechBytes,
  startFakeUpstream,
} from './fake-upstream.js';

const OPENAI = { authorization: `Bearer ${DEFAULT_OPENAI_KEY}`, 'content-type': 'application/json' };
const ANTHROPIC = {
  'x-api-key': DEFAULT_ANTHROPIC_KEY,
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
};

/** The `data:` payloads of an SSE body, in order. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const line = frame.split('\n').find((l) => l.startsWith('data: '));
      return line ? line.slice('data: '.length) : '';
    });
}

function sseEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map(
      (frame) =>
        frame
          .split('\n')
          .find((l) => l.startsWith('event: '))
          ?.slice('event: '.length) ?? '',
    );
}

describe('fake upstream', () => {
  let fake: FakeUpstream;
  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${fake.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('refuses a wrong OpenAI credential with 401 in the OpenAI error shape', async () => {
    const res = await post('/v1/chat/completions', { authorization: 'Bearer kw_nope' }, { model: 'gpt-4o' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string; code: string } };
    expect(body.error.code).toBe('invalid_api_key');
    expect(fake.requests).toHaveLength(1);
    expect(fake.served).toHaveLength(0);
  });

  it('refuses Anthropic calls without x-api-key (401) or without anthropic-version (400), Anthropic-shaped', async () => {
    const noKey = await post('/v1/messages', { authorization: `Bearer ${DEFAULT_ANTHROPIC_KEY}` }, {});
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const noVersion = await post('/v1/messages', { 'x-api-key': DEFAULT_ANTHROPIC_KEY }, {});
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('honours a custom credential', async () => {
    const custom = await startFakeUpstream({ openaiKey: 'sk-custom' });
    try {
      const ok = await fetch(`${custom.url}/v1/models`, { headers: { authorization: 'Bearer sk-custom' } });
      expect(ok.status).toBe(200);
      const wrong = await fetch(`${custom.url}/v1/models`, { headers: OPENAI });
      expect(wrong.status).toBe(401);
    } finally {
      await custom.close();
    }
  });

  it('answers a non-streaming chat completion with deterministic usage and records it', async () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(40) }] };
    const res = await post('/v1/chat/completions', { ...OPENAI, 'x-fake-cached-tokens': '3' }, body);
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
      choices: { message: { content: string } }[];
      usage: {
        prompt_tokens: number;
        completion_tokens: number;
        prompt_tokens_details: { cached_tokens: number };
      };
    };
    expect(json.choices[0]?.message.content).toBe(completionText(DEFAULT_OUTPUT_TOKENS));
    expect(json.usage.prompt_tokens).toBe(13);
    expect(json.usage.completion_tokens).toBe(DEFAULT_OUTPUT_TOKENS);
    expect(json.usage.prompt_tokens_details.cached_tokens).toBe(3);
    expect(fake.served).toEqual([
      expect.objectContaining({ input: 13, output: DEFAULT_OUTPUT_TOKENS, cached: 3, model: 'gpt-4o' }),
    ]);
    expect(fake.requests[0]?.json).toEqual(body);
  });

  it('streams chat in OpenAI chunk format with a usage chunk only when include_usage is set', async () => {
    const messages = [{ role: 'user', content: 'hello there' }];
    const withUsage = await post(
      '/v1/chat/completions',
      { ...OPENAI, 'x-fake-output-tokens': '4' },
      {
        model: 'gpt-4o-mini',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      },
    );
    expect(withUsage.headers.get('content-type')).toContain('text/event-stream');
    const data = sseData(await withUsage.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: unknown[]; usage: unknown });
    expect(chunks).toHaveLength(1 + 4 + 1 + 1);
    expect(chunks.slice(0, -1).every((c) => c.usage === null && c.choices.length === 1)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } });

    const without = await post(
      '/v1/chat/completions',
      { ...OPENAI, 'x-fake-output-tokens': '4' },
      {
        model: 'gpt-4o-mini',
        messages,
        stream: true,
      },
    );
    const plain = sseData(await without.text());
    expect(plain).toHaveLength(1 + 4 + 1 + 1);
    expect(plain.some((d) => d.includes('usage'))).toBe(false);
    expect(fake.served.map((s) => [s.input, s.output, s.onWire])).toEqual([
      [3, 4, true],
      [3, 4, false],
    ]);
  });

  it('serves the responses API, JSON and SSE, with usage on response.completed', async () => {
    const json = await post('/v1/responses', OPENAI, { model: 'gpt-4o', input: 'abcdefgh' });
    expect(await json.json()).toMatchObject({
      object: 'response',
      usage: {
        input_tokens: 2,
        output_tokens: DEFAULT_OUTPUT_TOKENS,
        input_tokens_details: { cached_tokens: 0 },
      },
    });
    const stream = await post(
      '/v1/responses',
      { ...OPENAI, 'x-fake-output-tokens': '2' },
      {
        model: 'gpt-4o',
        input: 'abcdefgh',
        stream: true,
      },
    );
    const text = await stream.text();
    const events = sseEvents(text);
    expect(events[0]).toBe('response.created');
    expect(events.filter((e) => e === 'response.output_text.delta')).toHaveLength(2);
    expect(events.at(-1)).toBe('response.completed');
    const completed = JSON.parse(sseData(text).at(-1) ?? '') as {
      response: { usage: { output_tokens: number } };
    };
    expect(completed.response.usage.output_tokens).toBe(2);
    expect(fake.totals()).toEqual({ input: 4, output: DEFAULT_OUTPUT_TOKENS + 2, cached: 0 });
  });

  it('serves embeddings as floats or base64', async () => {
    const floats = await post('/v1/embeddings', OPENAI, {
      model: 'text-embedding-3-small',
      input: ['abcd', 'efgh'],
    });
    const body = (await floats.json()) as {
      data: { embedding: number[] }[];
      usage: { prompt_tokens: number };
    };
    expect(body.data).toHaveLength(2);
    expect(body.data[0]?.embedding).toHaveLength(8);
    expect(body.usage.prompt_tokens).toBe(2);
    const b64 = await post('/v1/embeddings', OPENAI, {
      model: 'x',
      input: 'abcd',
      encoding_format: 'base64',
    });
    const encoded = (await b64.json()) as { data: { embedding: string }[] };
    expect(typeof encoded.data[0]?.embedding).toBe('string');
    expect(fake.served.map((s) => s.endpoint)).toEqual(['embeddings', 'embeddings']);
  });

  it('lists models in OpenAI or Anthropic shape', async () => {
    const openai = (await (await fetch(`${fake.url}/v1/models`, { headers: OPENAI })).json()) as {
      data: { id: string }[];
    };
    expect(openai.data.map((m) => m.id)).toContain('gpt-4o-mini');
    const anthropic = (await (await fetch(`${fake.url}/v1/models`, { headers: ANTHROPIC })).json()) as {
      data: { type: string }[];
    };
    expect(anthropic.data[0]?.type).toBe('model');
  });

  it('serves moderations, images and binary speech', async () => {
    expect((await post('/v1/moderations', OPENAI, { input: 'hi' })).status).toBe(200);
    const images = await post('/v1/images/generations', OPENAI, {
      prompt: 'a cat',
      response_format: 'b64_json',
    });
    expect(((await images.json()) as { data: { b64_json: string }[] }).data[0]?.b64_json).toBeTruthy();
    const speech = await post('/v1/audio/speech', OPENAI, { model: 'tts-1', input: 'hello', voice: 'alloy' });
    expect(speech.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await speech.arrayBuffer()).equals(speechBytes('hello'))).toBe(true);
    expect(fake.served).toHaveLength(0);
  });

  it('transcribes a multipart upload', async () => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([new Uint8Array(1234)]), 'clip.mp3');
    const res = await fetch(`${fake.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: OPENAI.authorization },
      body: form,
    });
    expect(await res.json()).toEqual({
      text: 'fake transcription of clip.mp3 (1234 bytes)',
      model: 'whisper-1',
    });
  });

  it('serves Anthropic messages, JSON and SSE, and count_tokens', async () => {
    const body = {
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: '12345678' }],
    };
    const json = await post('/v1/messages', { ...ANTHROPIC, 'x-fake-cached-tokens': '10' }, body);
    expect(await json.json()).toMatchObject({
      type: 'message',
      usage: { input_tokens: 2, cache_read_input_tokens: 10, output_tokens: DEFAULT_OUTPUT_TOKENS },
    });
    const stream = await post(
      '/v1/messages',
      { ...ANTHROPIC, 'x-fake-output-tokens': '3' },
      { ...body, stream: true },
    );
    const text = await stream.text();
    expect(sseEvents(text)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(text).toContain('"usage":{"output_tokens":3}');
    const count = await post('/v1/messages/count_tokens', ANTHROPIC, body);
    expect(await count.json()).toEqual({ input_tokens: 2 });
    expect(fake.served.map((s) => [s.input, s.output, s.cached, s.stream])).toEqual([
      [12, DEFAULT_OUTPUT_TOKENS, 10, false],
      [2, 3, 0, true],
    ]);
    expect(fake.totals()).toEqual({ input: 14, output: DEFAULT_OUTPUT_TOKENS + 3, cached: 10 });
  });

  it('answers x-fake-status in the provider error shape without serving usage', async () => {
    const openai = await post(
      '/v1/chat/completions',
      { ...OPENAI, 'x-fake-status': '429' },
      { model: 'gpt-4o' },
    );
    expect(openai.status).toBe(429);
    expect(await openai.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
    const anthropic = await post('/v1/messages', { ...ANTHROPIC, 'x-fake-status': '529' }, { model: 'c' });
    expect(anthropic.status).toBe(529);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    expect(fake.served).toHaveLength(0);
  });

  it('spaces stream chunks by x-fake-delay-ms', async () => {
    const started = Date.now();
    const res = await post(
      '/v1/chat/completions',
      { ...OPENAI, 'x-fake-delay-ms': '20', 'x-fake-output-tokens': '3' },
      {
        model: 'gpt-4o',
        stream: true,
      },
    );
    await res.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 20 - 5);
  });
});
