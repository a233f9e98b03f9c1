#!/usr/bin/env node
// "Physical limit" reference: the thinnest Node.js passthrough proxy we can write.
// node:http server + undici Pool (keep-alive) to the upstream. Bodies are streamed
// both ways (no parsing, no buffering, no metering). The only per-request work is:
// look up the client's virtual key (Bearer or x-api-key) in a Map, swap in the
// upstream key, copy headers minus hop-by-hop ones. Anything a real gateway does
// (parsing JSON, counting tokens, logging, policies) costs more than this.
//
// Env:
//   BASELINE_HOST / BASELINE_PORT   bind address (127.0.0.1:18081; argv[2] wins for port)
//   UPSTREAM_URL                    origin of the upstream (http://127.0.0.1:18080)
//   BASELINE_KEYS                   "vk1=upstreamKey1,vk2=upstreamKey2" (default: from
//                                   BENCH_VIRTUAL_KEY / BENCH_UPSTREAM_KEY, or vk-bench=sk-upstream-bench)
//   BASELINE_CONNECTIONS            undici Pool size (default 512)
//   BENCH_PEERS_DIR                 where `undici` is installed (default: this repository)

import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const peersDir =
  process.env.BENCH_PEERS_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let undici;
try {
  undici = createRequire(path.join(peersDir, 'package.json'))('undici');
} catch (e) {
  console.error(
    `baseline-proxy: cannot load undici from ${peersDir} (run bench/setup.sh or set BENCH_PEERS_DIR): ${e.message}`,
  );
  process.exit(1);
}
const { Pool } = undici;

const HOST = process.env.BASELINE_HOST || '127.0.0.1';
const PORT = Number(process.argv[2] || process.env.BASELINE_PORT || 18081);
const UPSTREAM = process.env.UPSTREAM_URL || 'http://127.0.0.1:18080';
const keys = new Map(
  (
    process.env.BASELINE_KEYS ||
    `${process.env.BENCH_VIRTUAL_KEY || 'vk-bench'}=${process.env.BENCH_UPSTREAM_KEY || 'sk-upstream-bench'}`
  )
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
);

const pool = new Pool(UPSTREAM, {
  connections: Number(process.env.BASELINE_CONNECTIONS || 512),
  pipelining: 1,
  keepAliveTimeout: 60_000,
  keepAliveMaxTimeout: 600_000,
  headersTimeout: 300_000,
  bodyTimeout: 300_000,
});

// Request headers we never forward (hop-by-hop, or replaced by us / undici).
const DROP_REQ = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'authorization',
  'x-api-key',
]);
// Response headers we never copy back (Node's server sets its own framing).
const DROP_RES = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

const UNAUTHORIZED = JSON.stringify({
  error: { message: 'Invalid virtual key', type: 'invalid_request_error', code: 'invalid_api_key' },
});

function reject(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const h = req.headers;
  const auth = h.authorization;
  const anthropicStyle = auth === undefined && h['x-api-key'] !== undefined;
  const vk = auth !== undefined ? (auth.startsWith('Bearer ') ? auth.slice(7) : '') : h['x-api-key'];
  const upstreamKey = vk ? keys.get(vk) : undefined;
  if (upstreamKey === undefined) {
    req.resume();
    return reject(res, 401, UNAUTHORIZED);
  }

  const headers = {};
  for (const name in h) if (!DROP_REQ.has(name)) headers[name] = h[name];
  if (anthropicStyle) headers['x-api-key'] = upstreamKey;
  else headers.authorization = `Bearer ${upstreamKey}`;

  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream(
    { method: req.method, path: req.url, headers, body: hasBody ? req : null, opaque: res },
    ({ statusCode, headers: uh, opaque }) => {
      const out = {};
      for (const name in uh) if (!DROP_RES.has(name)) out[name] = uh[name];
      opaque.writeHead(statusCode, out);
      return opaque;
    },
    (err) => {
      if (!err) return;
      if (!res.headersSent)
        reject(
          res,
          502,
          JSON.stringify({ error: { message: `upstream error: ${err.message}`, type: 'bad_gateway' } }),
        );
      else res.destroy(err);
    },
  );
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(PORT, HOST, () =>
  console.log(`baseline-proxy on http://${HOST}:${PORT} -> ${UPSTREAM} (${keys.size} virtual key(s))`),
);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
