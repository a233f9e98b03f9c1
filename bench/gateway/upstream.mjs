#!/usr/bin/env node
// Fake OpenAI-/Anthropic-compatible upstream for benchmarking gateways.
// node:http only, no dependencies. Cheap per request so that it does not
// dominate the CPU budget of a 2-core benchmark box.
//
// Usage: node upstream.mjs [port]        (or UPSTREAM_PORT, default 18080)
//
// Env:
//   UPSTREAM_HOST            bind address (default 127.0.0.1)
//   UPSTREAM_PORT            port (default 18080; argv[2] wins)
//   UPSTREAM_LATENCY_MS      artificial delay before the response starts (default 0)
//   UPSTREAM_CHUNKS          content chunks per SSE stream (default 20)
//   UPSTREAM_CHUNK_DELAY_MS  delay between SSE chunks. 0 (default): next event-loop
//                            turn (each chunk is its own socket write, like a real
//                            token stream, but no wall-clock wait); >0: setTimeout;
//                            <0: the whole stream in one burst (one write).
//   UPSTREAM_EMBED_DIM       embedding dimensions (default 1536)
//   UPSTREAM_API_KEY         if set, requests must carry it (Authorization: Bearer
//                            or x-api-key), else 401 - proves a proxy swapped keys.
// Per-request overrides (headers): x-fake-latency-ms, x-fake-chunks.
//
// Routes: POST /v1/chat/completions (stream and non-stream, stream_options.include_usage)
//         POST /v1/messages (Anthropic Messages API, stream and non-stream)
//         POST /v1/embeddings, GET /v1/models, GET /health, GET /__stats

import http from 'node:http';

const HOST = process.env.UPSTREAM_HOST || '127.0.0.1';
const PORT = Number(process.argv[2] || process.env.UPSTREAM_PORT || 18080);
const LATENCY_MS = Number(process.env.UPSTREAM_LATENCY_MS || 0);
const CHUNKS = Number(process.env.UPSTREAM_CHUNKS || 20);
const CHUNK_DELAY_MS = Number(process.env.UPSTREAM_CHUNK_DELAY_MS || 0);
const EMBED_DIM = Number(process.env.UPSTREAM_EMBED_DIM || 1536);
const API_KEY = process.env.UPSTREAM_API_KEY || '';

const WORDS = (
  'Sure! Here is a concise answer to your question. The gateway forwards each ' +
  'request to the upstream provider, meters the tokens that were used, and streams ' +
  'the reply back to the client as soon as every chunk arrives from the model so that ' +
  'the user sees the first token quickly and the total stays accurate for billing.'
).split(' ');
const tokenText = (i) => (i === 0 ? WORDS[0] : ` ${WORDS[i % WORDS.length]}`);
const TOKENS_JSON = [];
for (let i = 0; i < 4096; i++) TOKENS_JSON.push(JSON.stringify(tokenText(i)).slice(1, -1));
const contentOf = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += tokenText(i);
  return s;
};
const CONTENT_CACHE = new Map();
const content = (n) => {
  let c = CONTENT_CACHE.get(n);
  if (c === undefined) {
    c = contentOf(n);
    CONTENT_CACHE.set(n, c);
  }
  return c;
};

// One fixed embedding vector per dimension count, serialised once.
const EMBED_CACHE = new Map();
function embeddingJson(dim) {
  let s = EMBED_CACHE.get(dim);
  if (s === undefined) {
    const v = new Array(dim);
    for (let i = 0; i < dim; i++) v[i] = Math.round(Math.sin(i * 12.9898) * 1e6) / 1e7;
    s = JSON.stringify(v);
    EMBED_CACHE.set(dim, s);
  }
  return s;
}

const stats = {
  requests: 0,
  chat: 0,
  chat_stream: 0,
  messages: 0,
  messages_stream: 0,
  embeddings: 0,
  models: 0,
  streams_completed: 0,
  unauthorized: 0,
  bad_request: 0,
  not_found: 0,
};

let seq = 0;
const rid = (p) => p + Date.now().toString(36) + (++seq).toString(36).padStart(6, '0');
const nowSec = () => Math.floor(Date.now() / 1000);

function promptTokens(body) {
  let chars = 0;
  const msgs = body && Array.isArray(body.messages) ? body.messages : [];
  for (const m of msgs) {
    if (typeof m.content === 'string') chars += m.content.length;
    else if (Array.isArray(m.content))
      for (const p of m.content) if (p && typeof p.text === 'string') chars += p.text.length;
  }
  if (body && typeof body.system === 'string') chars += body.system.length;
  if (body && typeof body.input === 'string') chars += body.input.length;
  if (body && Array.isArray(body.input))
    for (const x of body.input) if (typeof x === 'string') chars += x.length;
  return Math.max(1, Math.ceil(chars / 4)) + 4 * msgs.length;
}

const COMMON_JSON_HEADERS = (reqId, model) => ({
  'content-type': 'application/json',
  'x-request-id': reqId,
  'openai-model': model,
  'openai-processing-ms': '1',
  'openai-version': '2020-10-01',
  'x-ratelimit-limit-requests': '10000',
  'x-ratelimit-remaining-requests': '9999',
});
const SSE_HEADERS = (reqId) => ({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-request-id': reqId,
  'openai-processing-ms': '1',
});

function sendJson(res, status, obj, headers) {
  const s = JSON.stringify(obj);
  res.writeHead(status, {
    ...(headers || { 'content-type': 'application/json' }),
    'content-length': Buffer.byteLength(s),
  });
  res.end(s);
}

function error(res, status, type, message) {
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}

// Writes the array of SSE frames honouring UPSTREAM_CHUNK_DELAY_MS, then ends.
function writeFrames(res, frames) {
  if (CHUNK_DELAY_MS < 0) {
    res.end(frames.join(''));
    stats.streams_completed++;
    return;
  }
  let i = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const step = () => {
    if (closed) return;
    if (i === frames.length - 1) {
      res.end(frames[i]);
      stats.streams_completed++;
      return;
    }
    res.write(frames[i++]);
    if (CHUNK_DELAY_MS > 0) setTimeout(step, CHUNK_DELAY_MS);
    else setImmediate(step);
  };
  step();
}

function chatCompletions(req, res, body) {
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
  const n = Number(req.headers['x-fake-chunks'] || CHUNKS);
  const pt = promptTokens(body);
  const usage = {
    prompt_tokens: pt,
    completion_tokens: n,
    total_tokens: pt + n,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
  const id = rid('chatcmpl-');
  const created = nowSec();
  if (!body.stream) {
    stats.chat++;
    return sendJson(
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
            message: { role: 'assistant', content: content(n), refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage,
        service_tier: 'default',
        system_fingerprint: 'fp_44709d6fcb',
      },
      COMMON_JSON_HEADERS(id, model),
    );
  }
  stats.chat_stream++;
  const includeUsage = !!body.stream_options?.include_usage;
  const u = includeUsage ? ',"usage":null' : '';
  const pre = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"default","system_fingerprint":"fp_44709d6fcb","choices":[`;
  const frames = [];
  frames.push(
    `${pre}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${u}}\n\n`,
  );
  for (let i = 0; i < n; i++)
    frames.push(
      `${pre}{"index":0,"delta":{"content":"${TOKENS_JSON[i % TOKENS_JSON.length]}"},"logprobs":null,"finish_reason":null}]${u}}\n\n`,
    );
  frames.push(`${pre}{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]${u}}\n\n`);
  if (includeUsage) frames.push(`${pre}],"usage":${JSON.stringify(usage)}}\n\n`);
  frames.push('data: [DONE]\n\n');
  res.writeHead(200, SSE_HEADERS(id));
  writeFrames(res, frames);
}

function messages(req, res, body) {
  const model = typeof body.model === 'string' ? body.model : 'claude-3-5-sonnet-20241022';
  const n = Number(req.headers['x-fake-chunks'] || CHUNKS);
  const it = promptTokens(body);
  const id = rid('msg_');
  if (!body.stream) {
    stats.messages++;
    return sendJson(
      res,
      200,
      {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: content(n) }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: it,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: n,
          service_tier: 'standard',
        },
      },
      {
        'content-type': 'application/json',
        'request-id': `req_${id}`,
        'anthropic-organization-id': 'org-bench',
      },
    );
  }
  stats.messages_stream++;
  const ev = (name, data) => `event: ${name}\ndata: ${data}\n\n`;
  const frames = [];
  frames.push(
    ev(
      'message_start',
      JSON.stringify({
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: it,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 1,
            service_tier: 'standard',
          },
        },
      }),
    ),
  );
  frames.push(
    ev(
      'content_block_start',
      '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    ),
  );
  frames.push(ev('ping', '{"type": "ping"}'));
  for (let i = 0; i < n; i++)
    frames.push(
      ev(
        'content_block_delta',
        `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${TOKENS_JSON[i % TOKENS_JSON.length]}"}}`,
      ),
    );
  frames.push(ev('content_block_stop', '{"type":"content_block_stop","index":0}'));
  frames.push(
    ev(
      'message_delta',
      `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${n}}}`,
    ),
  );
  frames.push(ev('message_stop', '{"type":"message_stop"}'));
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': `req_${id}`,
  });
  writeFrames(res, frames);
}

function embeddings(_req, res, body) {
  stats.embeddings++;
  const model = typeof body.model === 'string' ? body.model : 'text-embedding-3-small';
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const dim = Number(body.dimensions) > 0 ? Math.min(Number(body.dimensions), 8192) : EMBED_DIM;
  const vec = embeddingJson(dim);
  const pt = promptTokens(body);
  let data = '';
  for (let i = 0; i < inputs.length; i++)
    data += `${i ? ',' : ''}{"object":"embedding","index":${i},"embedding":${vec}}`;
  const s = `{"object":"list","data":[${data}],"model":${JSON.stringify(model)},"usage":{"prompt_tokens":${pt},"total_tokens":${pt}}}`;
  res.writeHead(200, { ...COMMON_JSON_HEADERS(rid('req_'), model), 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

const MODELS = JSON.stringify({
  object: 'list',
  data: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'text-embedding-3-small', 'claude-3-5-sonnet-20241022'].map(
    (id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' }),
  ),
});

function authorized(req) {
  if (!API_KEY) return true;
  const a = req.headers.authorization;
  if (a && a === `Bearer ${API_KEY}`) return true;
  return req.headers['x-api-key'] === API_KEY;
}

function route(req, res, raw) {
  stats.requests++;
  const url = req.url;
  const path = url.indexOf('?') >= 0 ? url.slice(0, url.indexOf('?')) : url;
  if (req.method === 'GET' && path === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    return res.end('ok');
  }
  if (req.method === 'GET' && path === '/__stats') return sendJson(res, 200, stats);
  if (path.startsWith('/v1/') && !authorized(req)) {
    stats.unauthorized++;
    return error(res, 401, 'invalid_request_error', 'Incorrect API key provided (fake upstream).');
  }
  if (req.method === 'GET' && path === '/v1/models') {
    stats.models++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(MODELS) });
    return res.end(MODELS);
  }
  if (req.method !== 'POST') {
    stats.not_found++;
    return error(res, 404, 'invalid_request_error', `Unknown route ${req.method} ${path}`);
  }
  let body;
  try {
    body = raw.length ? JSON.parse(raw) : {};
  } catch {
    stats.bad_request++;
    return error(res, 400, 'invalid_request_error', 'Body is not valid JSON');
  }
  if (body === null || typeof body !== 'object') {
    stats.bad_request++;
    return error(res, 400, 'invalid_request_error', 'Body must be a JSON object');
  }
  if (path === '/v1/chat/completions') return chatCompletions(req, res, body);
  if (path === '/v1/messages') return messages(req, res, body);
  if (path === '/v1/embeddings') return embeddings(req, res, body);
  stats.not_found++;
  return error(res, 404, 'invalid_request_error', `Unknown route POST ${path}`);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString();
    const delay = Number(req.headers['x-fake-latency-ms'] || LATENCY_MS);
    if (delay > 0) setTimeout(() => route(req, res, raw), delay);
    else route(req, res, raw);
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(PORT, HOST, () => {
  console.log(
    `fake upstream listening on http://${HOST}:${PORT} (chunks=${CHUNKS}, chunk_delay_ms=${CHUNK_DELAY_MS}, latency_ms=${LATENCY_MS}, auth=${API_KEY ? 'on' : 'off'})`,
  );
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
