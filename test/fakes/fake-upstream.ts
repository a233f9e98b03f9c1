/**
 * A fake OpenAI + Anthropic upstream on loopback, for tests. node:http only, no dependencies.
 *
 * Credentials: OpenAI routes need `Authorization: Bearer <openaiKey>`; Anthropic routes
 * (`/v1/messages`, `/v1/messages/count_tokens`, and `/v1/models` when `anthropic-version` is sent)
 * need `x-api-key: <anthropicKey>` and an `anthropic-version` header. Otherwise 401 (or 400 for a
 * missing version) in the provider's own error shape.
 *
 * Token counts are deterministic functions of the request:
 * - base input = `x-fake-input-tokens`, else max(1, ceil(prompt characters / 4)), where prompt
 *   characters are the text of messages / system / instructions / input / prompt (never the JSON
 *   envelope, so a gateway adding `stream_options` does not change them);
 * - cached = `x-fake-cached-tokens` (default 0): OpenAI reports prompt_tokens = base + cached with
 *   cached_tokens = cached; Anthropic reports input_tokens = base and cache_read_input_tokens = cached;
 * - output = `x-fake-output-tokens` (default 5) = the number of content chunks / words.
 * `served` holds the normalised view: input = every prompt token including cached ones, output, cached.
 *
 * Other per-request headers: `x-fake-status: N` answers N in the provider's error shape;
 * `x-fake-delay-ms: N` waits N ms between stream chunks (and once before a non-streaming body).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Path with the query string, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
}

/** What the fake reported for one request (input includes cached prompt tokens). */
export interface ServedUsage {
  input: number;
  output: number;
  cached: number;
}

export interface ServedRecord extends ServedUsage {
  endpoint: 'chat/completions' | 'responses' | 'embeddings' | 'messages';
  model: string;
  stream: boolean;
  /** False only for a chat stream without include_usage: the usage was not put on the wire. */
  onWire: boolean;
}

export interface FakeUpstream {
  url: string;
  requests: ReceivedRequest[];
  served: ServedRecord[];
  totals(filter?: (record: ServedRecord) => boolean): ServedUsage;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeUpstreamOptions {
  openaiKey?: string;
  anthropicKey?: string;
  /** A base path the routes live under, e.g. `/openai` (Groq's layout): `/openai/v1/chat/completions`. */
  pathPrefix?: string;
}

export const DEFAULT_OPENAI_KEY = 'sk-test-openai-upstream';
export const DEFAULT_ANTHROPIC_KEY = 'sk-ant-test-upstream';
export const DEFAULT_OUTPUT_TOKENS = 5;

export const OPENAI_MODELS = ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small', 'o3-mini'];
export const ANTHROPIC_MODELS = ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7'];

const WORDS = (
  'Sure! Here is a concise answer to your question. The gateway forwards each request to the ' +
  'upstream provider, meters the tokens that were used, and streams the reply back to the client.'
).split(' ');

/** The text of content chunk `i` (one output token each). */
export function tokenText(i: number): string {
  const word = WORDS[i % WORDS.length] ?? 'word';
  return i === 0 ? word : ` ${word}`;
}

/** The whole completion text for `n` output tokens. */
export function completionText(n: number): string {
  let text = '';
  for (let i = 0; i < n; i++) text += tokenText(i);
  return text;
}

/** The bytes `audio/speech` returns for a given input text. */
export function speechBytes(input: string): Buffer {
  const length = 4096 + input.length;
  const bytes = Buffer.alloc(length);
  bytes.write('ID3', 0, 'latin1');
  for (let i = 3; i < length; i++)
    bytes[i] = (i * 31 + 7 + (input.charCodeAt(i % Math.max(1, input.length)) || 0)) & 0xff;
  return bytes;
}

type Flavor = 'openai' | 'anthropic';
type Json = Record<string, unknown>;

interface Plan {
  base: number;
  cached: number;
  output: number;
  delayMs: number;
}

let sequence = 0;
const newId = (prefix: string): string =>
  `${prefix}${Date.now().toString(36)}${(++sequence).toString(36).padStart(6, '0')}`;
const nowSec = (): number => Math.floor(Date.now() / 1000);

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function intHeader(req: http.IncomingMessage, name: string): number | undefined {
  const value = header(req, name);
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function textChars(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) {
    let chars = 0;
    for (const item of value) {
      if (typeof item === 'string') chars += item.length;
      else if (typeof item === 'number') chars += 4;
      else if (item && typeof item === 'object') {
        const part = item as Json;
        if (typeof part.text === 'string') chars += part.text.length;
        if ('content' in part) chars += textChars(part.content);
        if (Array.isArray(item)) chars += textChars(item);
      }
    }
    return chars;
  }
  return 0;
}

/** Prompt characters of a request body: only its text, never its envelope. */
export function promptChars(body: unknown): number {
  if (!body || typeof body !== 'object') return 0;
  const b = body as Json;
  return (
    textChars(b.messages) +
    textChars(b.system) +
    textChars(b.instructions) +
    textChars(b.input) +
    textChars(b.prompt)
  );
}

function planOf(req: http.IncomingMessage, body: unknown): Plan {
  return {
    base: intHeader(req, 'x-fake-input-tokens') ?? Math.max(1, Math.ceil(promptChars(body) / 4)),
    cached: intHeader(req, 'x-fake-cached-tokens') ?? 0,
    output: intHeader(req, 'x-fake-output-tokens') ?? DEFAULT_OUTPUT_TOKENS,
    delayMs: intHeader(req, 'x-fake-delay-ms') ?? 0,
  };
}

const OPENAI_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};
const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Json = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(
  res: http.ServerResponse,
  flavor: Flavor,
  status: number,
  message: string,
  code: string | null = null,
): void {
  if (flavor === 'anthropic') {
    const type = ANTHROPIC_ERROR_TYPES[status] ?? 'api_error';
    sendJson(res, status, { type: 'error', error: { type, message } }, { 'request-id': newId('req_fake_') });
    return;
  }
  const type = OPENAI_ERROR_TYPES[status] ?? 'server_error';
  sendJson(
    res,
    status,
    { error: { message, type, param: null, code } },
    { 'x-request-id': newId('req_fake_') },
  );
}

/**
 * Writes SSE frames one per socket write (next event-loop turn, or after delayMs), then ends.
 * `onFrame(i)` runs just before frame i is written; it is how usage is recorded only once on the wire.
 */
function writeFrames(
  res: http.ServerResponse,
  frames: string[],
  delayMs: number,
  onFrame: (index: number) => void,
): void {
  let i = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const step = (): void => {
    if (closed || res.destroyed) return;
    const frame = frames[i];
    if (frame === undefined) {
      res.end();
      return;
    }
    onFrame(i);
    res.write(frame);
    i++;
    if (delayMs > 0) setTimeout(step, delayMs);
    else setImmediate(step);
  };
  step();
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

const modelOf = (body: Json, fallback: string): string =>
  typeof body.model === 'string' ? body.model : fallback;

function later(ms: number, fn: () => void): void {
  if (ms > 0) setTimeout(fn, ms);
  else fn();
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const openaiKey = options.openaiKey ?? DEFAULT_OPENAI_KEY;
  const anthropicKey = options.anthropicKey ?? DEFAULT_ANTHROPIC_KEY;
  const pathPrefix = options.pathPrefix ?? '';
  const requests: ReceivedRequest[] = [];
  const served: ServedRecord[] = [];

  const serve = (record: ServedRecord): void => {
    served.push(record);
  };

  function chatCompletions(req: http.IncomingMessage, res: http.ServerResponse, body: Json): void {
    const model = modelOf(body, 'gpt-4o-mini');
    const plan = planOf(req, body);
    const promptTokens = plan.base + plan.cached;
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: plan.output,
      total_tokens: promptTokens + plan.output,
      prompt_tokens_details: { cached_tokens: plan.cached, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    const id = newId('chatcmpl-');
    const created = nowSec();
    const stream = body.stream === true;
    const record: ServedRecord = {
      endpoint: 'chat/completions',
      model,
      stream,
      input: promptTokens,
      output: plan.output,
      cached: plan.cached,
      onWire: true,
    };
    const headers = {
      'x-request-id': newId('req_fake_'),
      'openai-processing-ms': '1',
      'openai-version': '2020-10-01',
    };
    if (!stream) {
      later(plan.delayMs, () => {
        serve(record);
        sendJson(
          res,
          200,
          {
            id,
            object: 'chat.completion',
            created,
            model,
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  content: completionText(plan.output),
                  refusal: null,
                  annotations: [],
                },
                logprobs: null,
                finish_reason: 'stop',
              },
            ],
            usage,
            service_tier: 'default',
            system_fingerprint: 'fp_fake',
          },
          headers,
        );
      });
      return;
    }
    const streamOptions = body.stream_options as Json | undefined;
    const includeUsage = !!streamOptions && streamOptions.include_usage === true;
    const usageField = includeUsage ? ',"usage":null' : '';
    const pre = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"default","system_fingerprint":"fp_fake","choices":[`;
    const frames: string[] = [];
    frames.push(
      `${pre}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${usageField}}\n\n`,
    );
    for (let i = 0; i < plan.output; i++) {
      frames.push(
        `${pre}{"index":0,"delta":{"content":${JSON.stringify(tokenText(i))}},"logprobs":null,"finish_reason":null}]${usageField}}\n\n`,
      );
    }
    frames.push(`${pre}{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]${usageField}}\n\n`);
    const usageIndex = frames.length;
    if (includeUsage) frames.push(`${pre}],"usage":${JSON.stringify(usage)}}\n\n`);
    frames.push('data: [DONE]\n\n');
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    writeFrames(res, frames, plan.delayMs, (i) => {
      // Without include_usage: record what it would have reported, at the point it would have gone.
      if (i === usageIndex) serve({ ...record, onWire: includeUsage });
    });
  }

  function responses(req: http.IncomingMessage, res: http.ServerResponse, body: Json): void {
    const model = modelOf(body, 'gpt-4o-mini');
    const plan = planOf(req, body);
    const inputTokens = plan.base + plan.cached;
    const usage = {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: plan.cached },
      output_tokens: plan.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + plan.output,
    };
    const id = newId('resp_');
    const itemId = newId('msg_');
    const createdAt = nowSec();
    const text = completionText(plan.output);
    const stream = body.stream === true;
    const record: ServedRecord = {
      endpoint: 'responses',
      model,
      stream,
      input: inputTokens,
      output: plan.output,
      cached: plan.cached,
      onWire: true,
    };
    const outputText = { type: 'output_text', text, annotations: [], logprobs: [] };
    const message = {
      type: 'message',
      id: itemId,
      status: 'completed',
      role: 'assistant',
      content: [outputText],
    };
    const response = (status: string, output: unknown[], withUsage: boolean): Json => ({
      id,
      object: 'response',
      created_at: createdAt,
      status,
      error: null,
      incomplete_details: null,
      instructions: typeof body.instructions === 'string' ? body.instructions : null,
      max_output_tokens: null,
      model,
      output,
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 1,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: 1,
      truncation: 'disabled',
      usage: withUsage ? usage : null,
      metadata: {},
    });
    const headers = { 'x-request-id': newId('req_fake_'), 'openai-processing-ms': '1' };
    if (!stream) {
      later(plan.delayMs, () => {
        serve(record);
        sendJson(res, 200, response('completed', [message], true), headers);
      });
      return;
    }
    let seq = 0;
    const frames: string[] = [];
    const event = (type: string, data: Json): void => {
      frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
    };
    event('response.created', { response: response('in_progress', [], false) });
    event('response.in_progress', { response: response('in_progress', [], false) });
    event('response.output_item.added', {
      output_index: 0,
      item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] },
    });
    event('response.content_part.added', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    for (let i = 0; i < plan.output; i++) {
      event('response.output_text.delta', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta: tokenText(i),
        logprobs: [],
      });
    }
    event('response.output_text.done', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text,
      logprobs: [],
    });
    event('response.content_part.done', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: outputText,
    });
    event('response.output_item.done', { output_index: 0, item: message });
    const completedIndex = frames.length;
    event('response.completed', { response: response('completed', [message], true) });
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    writeFrames(res, frames, plan.delayMs, (i) => {
      if (i === completedIndex) serve(record);
    });
  }

  function embeddings(req: http.IncomingMessage, res: http.ServerResponse, body: Json): void {
    const model = modelOf(body, 'text-embedding-3-small');
    const plan = planOf(req, body);
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const dim =
      typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.min(body.dimensions, 4096) : 8;
    const vector = Array.from({ length: dim }, (_, i) => Math.round(Math.sin(i * 12.9898 + 1) * 1e6) / 1e7);
    const base64 = body.encoding_format === 'base64';
    const encoded = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : undefined;
    const data = inputs.map((_, index) => ({ object: 'embedding', index, embedding: encoded ?? vector }));
    later(plan.delayMs, () => {
      serve({
        endpoint: 'embeddings',
        model,
        stream: false,
        input: plan.base,
        output: 0,
        cached: 0,
        onWire: true,
      });
      sendJson(
        res,
        200,
        { object: 'list', data, model, usage: { prompt_tokens: plan.base, total_tokens: plan.base } },
        { 'x-request-id': newId('req_fake_') },
      );
    });
  }

  function messages(req: http.IncomingMessage, res: http.ServerResponse, body: Json): void {
    const model = modelOf(body, 'claude-sonnet-4-6');
    const plan = planOf(req, body);
    const id = newId('msg_');
    const stream = body.stream === true;
    const record: ServedRecord = {
      endpoint: 'messages',
      model,
      stream,
      input: plan.base + plan.cached,
      output: plan.output,
      cached: plan.cached,
      onWire: true,
    };
    const headers = { 'request-id': newId('req_fake_'), 'anthropic-organization-id': 'org-fake' };
    const startUsage = {
      input_tokens: plan.base,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: plan.cached,
      output_tokens: plan.output,
      service_tier: 'standard',
    };
    if (!stream) {
      later(plan.delayMs, () => {
        serve(record);
        sendJson(
          res,
          200,
          {
            id,
            type: 'message',
            role: 'assistant',
            model,
            content: [{ type: 'text', text: completionText(plan.output) }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: startUsage,
          },
          headers,
        );
      });
      return;
    }
    const frames: string[] = [];
    const event = (type: string, data: Json): void => {
      frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    };
    // Like the real API, message_start reports output_tokens 1; message_delta carries the cumulative total.
    event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...startUsage, output_tokens: 1 },
      },
    });
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    event('ping', {});
    for (let i = 0; i < plan.output; i++) {
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: tokenText(i) } });
    }
    event('content_block_stop', { index: 0 });
    const deltaIndex = frames.length;
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: plan.output },
    });
    event('message_stop', {});
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    writeFrames(res, frames, plan.delayMs, (i) => {
      if (i === deltaIndex) serve(record);
    });
  }

  function countTokens(req: http.IncomingMessage, res: http.ServerResponse, body: Json): void {
    sendJson(res, 200, { input_tokens: planOf(req, body).base }, { 'request-id': newId('req_fake_') });
  }

  function models(res: http.ServerResponse, flavor: Flavor): void {
    if (flavor === 'anthropic') {
      const data = ANTHROPIC_MODELS.map((id) => ({
        type: 'model',
        id,
        display_name: id,
        created_at: '2025-01-01T00:00:00Z',
      }));
      sendJson(res, 200, {
        data,
        has_more: false,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      });
      return;
    }
    sendJson(res, 200, {
      object: 'list',
      data: OPENAI_MODELS.map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' })),
    });
  }

  function moderations(res: http.ServerResponse, body: Json): void {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const categories = ['harassment', 'hate', 'self-harm', 'sexual', 'violence'];
    sendJson(res, 200, {
      id: newId('modr-'),
      model: modelOf(body, 'omni-moderation-latest'),
      results: inputs.map(() => ({
        flagged: false,
        categories: Object.fromEntries(categories.map((c) => [c, false])),
        category_scores: Object.fromEntries(categories.map((c) => [c, 0.0001])),
      })),
    });
  }

  function images(res: http.ServerResponse, body: Json): void {
    const n = typeof body.n === 'number' && body.n > 0 ? Math.min(body.n, 4) : 1;
    const b64 = body.response_format === 'b64_json';
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
    sendJson(res, 200, {
      created: nowSec(),
      data: Array.from({ length: n }, (_, i) =>
        b64
          ? { b64_json: png, revised_prompt: body.prompt }
          : { url: `https://images.example.invalid/${i}.png`, revised_prompt: body.prompt },
      ),
    });
  }

  function speech(res: http.ServerResponse, body: Json): void {
    const bytes = speechBytes(typeof body.input === 'string' ? body.input : '');
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': bytes.length });
    res.end(bytes);
  }

  function transcriptions(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    const parts = parseMultipart(header(req, 'content-type') ?? '', raw);
    if (!parts) {
      sendError(res, 'openai', 400, 'Expected multipart/form-data');
      return;
    }
    const file = parts.find((p) => p.name === 'file');
    if (!file) {
      sendError(res, 'openai', 400, "Missing required parameter: 'file'.");
      return;
    }
    const field = (name: string): string | undefined =>
      parts.find((p) => p.name === name)?.data.toString('utf8');
    const text = `fake transcription of ${file.filename ?? 'file'} (${file.data.length} bytes)`;
    if (field('response_format') === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
      return;
    }
    sendJson(res, 200, { text, model: field('model') ?? null });
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, json: unknown): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q >= 0 ? url.slice(0, q) : url;
    if (!fullPath.startsWith(`${pathPrefix}/`)) {
      sendError(res, 'openai', 404, `Unknown route ${req.method} ${fullPath}`);
      return;
    }
    const path = fullPath.slice(pathPrefix.length);
    const method = req.method ?? 'GET';
    const anthropicRoute =
      path === '/v1/messages' ||
      path === '/v1/messages/count_tokens' ||
      (path.startsWith('/v1/models') && header(req, 'anthropic-version') !== undefined);
    const flavor: Flavor = anthropicRoute ? 'anthropic' : 'openai';

    if (flavor === 'anthropic') {
      if (header(req, 'x-api-key') !== anthropicKey) {
        sendError(res, flavor, 401, 'invalid x-api-key');
        return;
      }
      if (!header(req, 'anthropic-version')) {
        sendError(res, flavor, 400, 'anthropic-version: header is required');
        return;
      }
    } else if (header(req, 'authorization') !== `Bearer ${openaiKey}`) {
      sendError(res, flavor, 401, 'Incorrect API key provided (fake upstream).', 'invalid_api_key');
      return;
    }

    const fakeStatus = intHeader(req, 'x-fake-status');
    if (fakeStatus !== undefined && fakeStatus >= 400 && fakeStatus <= 599) {
      sendError(res, flavor, fakeStatus, `fake upstream error ${fakeStatus}`, `fake_${fakeStatus}`);
      return;
    }

    if (method === 'GET' && path === '/v1/models') {
      models(res, flavor);

      return;
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (!OPENAI_MODELS.includes(id) && !ANTHROPIC_MODELS.includes(id)) {
        sendError(res, flavor, 404, `The model '${id}' does not exist`, 'model_not_found');
        return;
      }
      sendJson(res, 200, { id, object: 'model', created: 1715367049, owned_by: 'system' });
      return;
    }
    if (method !== 'POST') {
      sendError(res, flavor, 404, `Unknown route ${method} ${path}`);
      return;
    }
    if (path === '/v1/audio/transcriptions') {
      transcriptions(req, res, raw);
      return;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      sendError(res, flavor, 400, 'Body must be a JSON object');
      return;
    }
    const body = json as Json;
    switch (path) {
      case '/v1/chat/completions':
        chatCompletions(req, res, body);
        return;
      case '/v1/responses':
        responses(req, res, body);
        return;
      case '/v1/embeddings':
        embeddings(req, res, body);
        return;
      case '/v1/moderations':
        moderations(res, body);
        return;
      case '/v1/images/generations':
        images(res, body);
        return;
      case '/v1/audio/speech':
        speech(res, body);
        return;
      case '/v1/messages':
        messages(req, res, body);
        return;
      case '/v1/messages/count_tokens':
        countTokens(req, res, body);
        return;
      default:
        sendError(res, flavor, 404, `Unknown route POST ${path}`);
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let json: unknown;
      if (body.length > 0) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = undefined;
        }
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      requests.push({
        method: req.method ?? 'GET',
        path: q >= 0 ? url.slice(0, q) : url,
        url,
        headers: { ...req.headers },
        body,
        json,
      });
      try {
        route(req, res, body, json);
      } catch (error) {
        if (!res.headersSent) sendError(res, 'openai', 500, `fake upstream crashed: ${String(error)}`);
        else res.destroy();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    served,
    totals(filter) {
      const sum: ServedUsage = { input: 0, output: 0, cached: 0 };
      for (const r of served) {
        if (filter && !filter(r)) continue;
        sum.input += r.input;
        sum.output += r.output;
        sum.cached += r.cached;
      }
      return sum;
    },
    reset() {
      requests.length = 0;
      served.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

interface MultipartPart {
  name: string | undefined;
  filename: string | undefined;
  data: Buffer;
}

/** A minimal multipart/form-data parser: enough for the SDKs' uploads. */
export function parseMultipart(contentType: string, body: Buffer): MultipartPart[] | undefined {
  const match = /multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerStart = afterDelimiter + 2; // skip CRLF
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) break;
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next < 0) break;
    const head = body.subarray(headerStart, headerEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1],
      filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1],
      data: body.subarray(headerEnd + 4, next - 2), // drop the CRLF before the delimiter
    });
    start = next;
  }
  return parts;
}
