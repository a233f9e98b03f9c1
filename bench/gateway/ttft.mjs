#!/usr/bin/env node
import fs from 'node:fs';
// Sequential (concurrency 1) time-to-first-byte / time-to-first-token probe for SSE
// streams, which wrk cannot measure. One keep-alive connection, N requests.
// Usage: node ttft.mjs <url> <bodyFile> [count=300] [warmup=30]
// Env: BENCH_HEADERS ("Name: value" per line). Prints one JSON line:
//   {"count":..,"ok":..,"bad":..,"headers_us":{p50,p99},"first_token_us":{p50,p99},"total_us":{p50,p99}}
// first_token = first body chunk that contains a content delta ("content":" or "text_delta").
import http from 'node:http';

const [url, bodyFile, countArg, warmArg] = process.argv.slice(2);
const count = Number(countArg || 300);
const warm = Number(warmArg || 30);
const body = fs.readFileSync(bodyFile);
const headers = { 'content-type': 'application/json', 'content-length': body.length };
for (const line of (process.env.BENCH_HEADERS || '').split('\n')) {
  const i = line.indexOf(':');
  if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const u = new URL(url);

function once() {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let tHead = 0n,
      tTok = 0n,
      buf = '';
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers, agent },
      (res) => {
        tHead = process.hrtime.bigint();
        res.setEncoding('utf8');
        res.on('data', (c) => {
          if (tTok === 0n && (c.includes('"content":"') || c.includes('text_delta'))) {
            // the role chunk has "content":"" - require a non-empty content delta
            if (/"content":"[^"]|text_delta/.test(c)) tTok = process.hrtime.bigint();
          }
          if (buf.length < 1 << 20) buf += c;
        });
        res.on('end', () => {
          const t1 = process.hrtime.bigint();
          const good =
            res.statusCode === 200 &&
            (buf.endsWith('data: [DONE]\n\n') || buf.includes('"type":"message_stop"'));
          resolve({
            good,
            head: Number(tHead - t0) / 1e3,
            tok: tTok ? Number(tTok - t0) / 1e3 : NaN,
            total: Number(t1 - t0) / 1e3,
          });
        });
        res.on('error', () => resolve({ good: false }));
      },
    );
    req.on('error', () => resolve({ good: false }));
    req.end(body);
  });
}

const pct = (xs, p) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? Math.round(v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]) : null;
};
for (let i = 0; i < warm; i++) await once();
const rs = [];
for (let i = 0; i < count; i++) rs.push(await once());
const ok = rs.filter((r) => r.good);
const out = {
  count,
  ok: ok.length,
  bad: count - ok.length,
  headers_us: {
    p50: pct(
      ok.map((r) => r.head),
      50,
    ),
    p99: pct(
      ok.map((r) => r.head),
      99,
    ),
  },
  first_token_us: {
    p50: pct(
      ok.map((r) => r.tok),
      50,
    ),
    p99: pct(
      ok.map((r) => r.tok),
      99,
    ),
  },
  total_us: {
    p50: pct(
      ok.map((r) => r.total),
      50,
    ),
    p99: pct(
      ok.map((r) => r.total),
      99,
    ),
  },
};
console.log(JSON.stringify(out));
agent.destroy();
