import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TokenCounts } from '../../domain/usage.js';
import { anthropicAdapter } from '../upstream/providers/anthropic.js';
import { openAiAdapter } from '../upstream/providers/openai.js';
import type { ProviderAdapter } from '../upstream/providers/provider-adapter.js';
import { carriesUsage, createUsageTap, type TapOptions, type TapResult } from './usage-tap.js';

const sse = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

const chatChunk = (delta: object, finish: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_750_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_1',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  usage: null,
});

/** What OpenAI sends for `stream: true, stream_options: { include_usage: true }`. */
const OPENAI_USAGE_EVENT = sse({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_750_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_1',
  choices: [],
  usage: {
    prompt_tokens: 19,
    completion_tokens: 10,
    total_tokens: 29,
    prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  },
});
const OPENAI_CHAT = [
  sse(chatChunk({ role: 'assistant', content: '', refusal: null })),
  sse(chatChunk({ content: 'Grüße 👋 — ' })),
  sse(chatChunk({ content: '日本語の使用量 (usage)' })),
  sse(chatChunk({}, 'stop')),
  OPENAI_USAGE_EVENT,
  sse('[DONE]'),
];

const ANTHROPIC_MESSAGES = [
  sse(
    {
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 25,
          cache_creation_input_tokens: 5,
          cache_read_input_tokens: 10,
          output_tokens: 1,
        },
      },
    },
    'message_start',
  ),
  sse(
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    'content_block_start',
  ),
  sse({ type: 'ping' }, 'ping'),
  sse(
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Héllo 🌍 ✓' } },
    'content_block_delta',
  ),
  sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
  sse(
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 15 },
    },
    'message_delta',
  ),
  sse({ type: 'message_stop' }, 'message_stop'),
];

const RESPONSES = [
  sse(
    {
      type: 'response.created',
      sequence_number: 0,
      response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [], usage: null },
    },
    'response.created',
  ),
  sse(
    {
      type: 'response.output_text.delta',
      sequence_number: 1,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta: 'Ça va ✓ 😀',
    },
    'response.output_text.delta',
  ),
  sse(
    {
      type: 'response.completed',
      sequence_number: 2,
      response: {
        id: 'resp_1',
        object: 'response',
        status: 'completed',
        output: [{ type: 'message', content: [{ type: 'output_text', text: 'Ça va ✓ 😀' }] }],
        usage: {
          input_tokens: 12,
          input_tokens_details: { cached_tokens: 2 },
          output_tokens: 7,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 19,
        },
      },
    },
    'response.completed',
  ),
];

interface Fixture {
  name: string;
  adapter: ProviderAdapter;
  endpoint: string;
  events: string[];
  /** The event a tap with `dropUsageChunk` removes, if any. */
  usageEvent: string | undefined;
  tokens: Partial<TokenCounts>;
}

const FIXTURES: Fixture[] = [
  {
    name: 'OpenAI chat stream with usage chunk',
    adapter: openAiAdapter,
    endpoint: 'chat/completions',
    events: OPENAI_CHAT,
    usageEvent: OPENAI_USAGE_EVENT,
    tokens: { inputTokens: 19, outputTokens: 10, cachedTokens: 4 },
  },
  {
    name: 'OpenAI chat stream with CRLF line endings',
    adapter: openAiAdapter,
    endpoint: 'chat/completions',
    events: OPENAI_CHAT.map((e) => e.replaceAll('\n', '\r\n')),
    usageEvent: OPENAI_USAGE_EVENT.replaceAll('\n', '\r\n'),
    tokens: { inputTokens: 19, outputTokens: 10, cachedTokens: 4 },
  },
  {
    name: 'Anthropic messages stream',
    adapter: anthropicAdapter,
    endpoint: 'messages',
    events: ANTHROPIC_MESSAGES,
    usageEvent: undefined,
    tokens: { inputTokens: 40, outputTokens: 15, cachedTokens: 10, cacheWriteTokens: 5 },
  },
  {
    name: 'OpenAI responses stream',
    adapter: openAiAdapter,
    endpoint: 'responses',
    events: RESPONSES,
    usageEvent: undefined,
    tokens: { inputTokens: 12, outputTokens: 7, cachedTokens: 2 },
  },
];

interface TapRun {
  output: Buffer;
  results: TapResult[];
}

type RunOptions = Partial<Omit<TapOptions, 'onDone'>> & Pick<TapOptions, 'adapter' | 'endpoint'>;

/** A stand-in for the client's response that keeps what it is sent. */
function clientOutput(options: { highWaterMark?: number } = {}) {
  const received: Buffer[] = [];
  const out = new Writable({
    ...options,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      callback();
    },
  });
  out.on('error', () => {});
  return { out, received };
}

/** A tap with the tests' defaults (SSE, nothing dropped, clock at 0), and every onDone report it makes. */
function reportingTap(options: RunOptions) {
  const results: TapResult[] = [];
  const tap = createUsageTap({
    kind: 'sse',
    dropUsageChunk: false,
    now: () => 0,
    ...options,
    onDone: (result) => results.push(result),
  });
  return { tap, results };
}

/** Writes `chunks` into a tap and collects what reached the client and every onDone report. */
async function runTap(chunks: Buffer[], options: RunOptions): Promise<TapRun> {
  const { out, received } = clientOutput();
  const { tap, results } = reportingTap(options);
  const delivered = tap.deliverTo(out);
  for (const chunk of chunks) tap.write(chunk);
  tap.end();
  expect(await delivered).toBeUndefined();
  return { output: Buffer.concat(received), results };
}

function cutAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const cut of [...points, bytes.length]) {
    chunks.push(bytes.subarray(at, cut));
    at = cut;
  }
  return chunks;
}

/** Byte offsets that fall inside a multi-byte UTF-8 character (continuation bytes). */
function insideCharacters(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let i = 1; i < bytes.length; i++) if (((bytes[i] ?? 0) & 0xc0) === 0x80) offsets.push(i);
  return offsets;
}

describe.each(FIXTURES)('usage tap over an $name', (fixture) => {
  const input = Buffer.from(fixture.events.join(''), 'utf8');
  const withoutUsage = Buffer.from(
    fixture.events.filter((event) => event !== fixture.usageEvent).join(''),
    'utf8',
  );
  const base = { adapter: fixture.adapter, endpoint: fixture.endpoint };

  it('has multi-byte characters to cut through', () => {
    expect(insideCharacters(input).length).toBeGreaterThan(5);
  });

  it('forwards the bytes unchanged and reads the tokens when cut at every single byte boundary', async () => {
    for (let cut = 1; cut < input.length; cut++) {
      const run = await runTap(cutAt(input, [cut]), base);
      expect(run.output.equals(input), `cut at ${cut}`).toBe(true);
      expect(run.results, `cut at ${cut}`).toEqual([
        { tokens: fixture.tokens, complete: true, firstByteAt: 0, bytes: input.length, deliveredText: '' },
      ]);
    }
  });

  it('drops exactly the usage event when cut at every single byte boundary', async () => {
    for (let cut = 1; cut < input.length; cut++) {
      const run = await runTap(cutAt(input, [cut]), { ...base, dropUsageChunk: true });
      expect(run.output.equals(withoutUsage), `cut at ${cut}`).toBe(true);
      expect(run.results, `cut at ${cut}`).toEqual([
        {
          tokens: fixture.tokens,
          complete: true,
          firstByteAt: 0,
          bytes: withoutUsage.length,
          deliveredText: '',
        },
      ]);
    }
  });

  it('forwards and meters the same whatever the chunking, including inside UTF-8 characters', async () => {
    const cuts = fc.uniqueArray(
      fc.oneof(fc.integer({ min: 1, max: input.length - 1 }), fc.constantFrom(...insideCharacters(input))),
      { maxLength: 40 },
    );
    await fc.assert(
      fc.asyncProperty(cuts, fc.boolean(), async (points, drop) => {
        const run = await runTap(cutAt(input, points), { ...base, dropUsageChunk: drop });
        const expected = drop ? withoutUsage : input;
        expect(run.output.toString('utf8')).toBe(expected.toString('utf8'));
        expect(run.output.equals(expected)).toBe(true);
        expect(run.results).toHaveLength(1);
        expect(run.results[0]?.tokens).toEqual(fixture.tokens);
        expect(run.results[0]?.complete).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('forwards and meters the same when fed one byte at a time', async () => {
    const bytes = cutAt(
      input,
      Array.from({ length: input.length - 1 }, (_, i) => i + 1),
    );
    for (const drop of [false, true]) {
      const run = await runTap(bytes, { ...base, dropUsageChunk: drop });
      expect(run.output.equals(drop ? withoutUsage : input)).toBe(true);
      expect(run.results[0]?.tokens).toEqual(fixture.tokens);
    }
  });

  it('meters an unterminated last event when the stream ends', async () => {
    const last = fixture.events.at(-1) ?? '';
    const events = [...fixture.events.slice(0, -1), last.trimEnd()];
    const truncated = Buffer.from(events.join(''), 'utf8');
    const kept = events.filter(
      (event) => event !== fixture.usageEvent && event !== fixture.usageEvent?.trimEnd(),
    );
    for (const drop of [false, true]) {
      const run = await runTap([truncated], { ...base, dropUsageChunk: drop });
      expect(run.output.toString('utf8')).toBe(drop ? kept.join('') : truncated.toString('utf8'));
      expect(run.results[0]?.tokens).toEqual(fixture.tokens);
    }
  });
});

describe('usage tap text collection', () => {
  it('keeps the generated text the client received, to count a stream cut before its usage', async () => {
    const frame = (content: string) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }], usage: null })}\n\n`;
    const { tap, results } = reportingTap({
      adapter: openAiAdapter,
      endpoint: 'chat/completions',
      dropUsageChunk: true,
      collectText: true,
    });
    const delivered = tap.deliverTo(clientOutput().out);
    tap.write(Buffer.from(frame('Hello') + frame(', "wörld"')));
    tap.write(Buffer.from(frame('\n!').slice(0, 20)));
    tap.destroy();
    await delivered;
    expect(results).toHaveLength(1);
    expect(results[0]?.complete).toBe(false);
    expect(results[0]?.deliveredText).toBe('Hello, "wörld"');
  });
});

describe('usage tap lifecycle', () => {
  const openAi = { adapter: openAiAdapter, endpoint: 'chat/completions' };

  it('reports the first byte time from the injected clock', async () => {
    let t = 1_000;
    const clock = { now: () => t };
    const { tap, results } = reportingTap({ ...openAi, now: clock.now });
    const delivered = tap.deliverTo(clientOutput().out);
    t = 1_250;
    tap.write(Buffer.from(OPENAI_CHAT[0] ?? ''));
    t = 9_999;
    tap.write(Buffer.from(OPENAI_CHAT.slice(1).join('')));
    tap.end();
    await delivered;
    expect(results).toHaveLength(1);
    expect(results[0]?.firstByteAt).toBe(1_250);
  });

  it('reports once, as incomplete, with the usage seen so far, when destroyed mid-stream', async () => {
    const { tap, results } = reportingTap({ adapter: anthropicAdapter, endpoint: 'messages', now: () => 5 });
    const { out, received: forwarded } = clientOutput();
    const delivered = tap.deliverTo(out);
    const firstTwo = Buffer.from(ANTHROPIC_MESSAGES.slice(0, 2).join(''));
    tap.write(firstTwo);
    tap.destroy(new Error('upstream reset'));
    expect((await delivered)?.message).toBe('upstream reset');
    expect(results).toEqual([
      {
        tokens: { inputTokens: 40, outputTokens: 1, cachedTokens: 10, cacheWriteTokens: 5 },
        complete: false,
        firstByteAt: 5,
        bytes: firstTwo.length,
        deliveredText: '',
      },
    ]);
    expect(Buffer.concat(forwarded).equals(firstTwo)).toBe(true);
  });

  it('reports once, as incomplete, when destroyed with an error before any byte', async () => {
    const { tap, results } = reportingTap({ ...openAi, dropUsageChunk: true, now: () => 5 });
    let closed = false;
    tap.once('close', () => {
      closed = true;
    });
    tap.destroy(new Error('upstream reset'));
    // Destroyed before the client's response was there (a key revoked meanwhile): closed at once,
    // and the response it is later given is cut with the same reason.
    expect(closed).toBe(true);
    const { out } = clientOutput();
    expect((await tap.deliverTo(out))?.message).toBe('upstream reset');
    expect(out.destroyed).toBe(true);
    expect(results).toEqual([
      { tokens: null, complete: false, firstByteAt: null, bytes: 0, deliveredText: '' },
    ]);
  });

  it("passes the client's backpressure to the writer and its drain back", async () => {
    const { out } = clientOutput({ highWaterMark: 16 });
    let finishWrite: (() => void) | undefined;
    out._write = (_chunk, _encoding, callback) => {
      finishWrite = callback;
    };
    const { tap } = reportingTap(openAi);
    void tap.deliverTo(out);
    expect(tap.write(Buffer.from(OPENAI_CHAT.join('')))).toBe(false);
    let drained = false;
    tap.once('drain', () => {
      drained = true;
    });
    finishWrite?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(true);
  });

  it('reports once, as incomplete, and closes when the client goes away mid-stream', async () => {
    const { tap, results } = reportingTap(openAi);
    const { out } = clientOutput();
    const delivered = tap.deliverTo(out);
    let closed = 0;
    tap.once('close', () => closed++);
    tap.write(Buffer.from(OPENAI_CHAT.slice(0, 2).join('')));
    out.destroy();
    expect((await delivered)?.message).toBe('the client closed the connection');
    expect(closed).toBe(1);
    expect(results).toHaveLength(1);
    expect(results[0]?.complete).toBe(false);
    // The writer still holding the tap is told nothing more goes through.
    expect(tap.write(Buffer.from(OPENAI_CHAT.slice(2).join('')))).toBe(true);
    expect(results).toHaveLength(1);
  });

  it('reports once, as complete, when a stream ends normally and then closes', async () => {
    const run = await runTap([Buffer.from(OPENAI_CHAT.join(''))], openAi);
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.results).toHaveLength(1);
    expect(run.results[0]?.complete).toBe(true);
  });

  it('reads usage from a JSON body cut into pieces and forwards it unchanged', async () => {
    const body = Buffer.from(
      JSON.stringify({
        id: 'chatcmpl-2',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Grüße 👋' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
      }),
    );
    const run = await runTap(cutAt(body, [1, 17, 40, body.length - 3]), { ...openAi, kind: 'json' });
    expect(run.output.equals(body)).toBe(true);
    expect(run.results).toEqual([
      {
        tokens: { inputTokens: 11, outputTokens: 3 },
        complete: true,
        firstByteAt: 0,
        bytes: body.length,
        deliveredText: '',
      },
    ]);
  });

  it('forwards a body that is not JSON and meters nothing', async () => {
    const body = Buffer.from('<html>502 Bad Gateway</html>');
    const run = await runTap([body], { ...openAi, kind: 'json' });
    expect(run.output.equals(body)).toBe(true);
    expect(run.results).toEqual([
      { tokens: null, complete: true, firstByteAt: 0, bytes: body.length, deliveredText: '' },
    ]);
  });

  it('passes an opaque body through without reading it', async () => {
    const body = Buffer.from(OPENAI_CHAT.join(''));
    const run = await runTap([body], { ...openAi, kind: 'opaque' });
    expect(run.output.equals(body)).toBe(true);
    expect(run.results[0]?.tokens).toBeNull();
  });

  it('keeps a choices: [] event that carries no usage (Azure prompt filter results)', async () => {
    const filterEvent = sse({
      choices: [],
      created: 0,
      id: '',
      model: '',
      object: '',
      prompt_filter_results: [],
    });
    const input = Buffer.from(filterEvent + OPENAI_CHAT.join(''));
    const run = await runTap([input], { ...openAi, dropUsageChunk: true });
    expect(run.output.toString('utf8')).toBe(
      filterEvent + OPENAI_CHAT.filter((e) => e !== OPENAI_USAGE_EVENT).join(''),
    );
  });
});

describe('carriesUsage', () => {
  it.each([
    ['data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n', false],
    ['data: {"choices":[],"usage":{"prompt_tokens":3}}\n\n', true],
    ['data: {"usage" :\n {"output_tokens":1}}\n\n', true],
    ['event: message_delta\ndata: {"delta":{},"usage":{"output_tokens":4}}\n\n', true],
    ['data: {"content":"the \\"usage\\": {1}"}\n\n', false],
    ['data: {"usage_note":{}}\n\n', false],
  ])('%j -> %s', (frame, expected) => {
    expect(carriesUsage(frame)).toBe(expected);
  });

  it('never sees usage in generated text, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const frame = `data: ${JSON.stringify({ choices: [{ delta: { content: text } }], usage: null })}\n\n`;
        return !carriesUsage(frame);
      }),
    );
  });
});
