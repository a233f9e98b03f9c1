// Usage-writer benchmark (not a test): how many usage events per second the batched usage writer
// sustains into SQLite, and into Postgres when a server is given. Each backend gets a fresh store;
// a producer records realistic events as fast as the writer keeps up (held back while the queue is
// deep), then close() flushes the rest. Sustained rate = events written / time including that final
// flush. Runs the compiled code in dist/ (`npm run build` first). Results go to RESULTS_DIR.
//
//   node bench/usage-writer.mjs
//   USAGE_BENCH_SECONDS=5 KEYWARDEN_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//     node bench/usage-writer.mjs
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { DEFAULTS } from '../dist/config/config.js';
import { freshKeyState } from '../dist/domain/rotation.js';
import { newId, newTimeOrderedId } from '../dist/lib/ids.js';
import { createLogger } from '../dist/lib/logger.js';
import { createUsageWriter } from '../dist/proxy/meter/usage-writer.js';
import { openPostgresStore } from '../dist/store/postgres/postgres-store.js';
import { openSqliteStore } from '../dist/store/sqlite/sqlite-store.js';

const SECONDS = Number(process.env.USAGE_BENCH_SECONDS ?? 10);
const SLICE = 1_000; // events recorded per turn of the event loop
const MAX_DEPTH = 20_000; // the producer waits while more than this many events are queued
const { flushIntervalMs, batchSize } = DEFAULTS.usage;
const resultsDir = process.env.RESULTS_DIR ?? join(process.env.TMPDIR ?? '/tmp', 'keywarden-bench');
const postgresUrl = process.env.KEYWARDEN_BENCH_POSTGRES_URL ?? process.env.DATABASE_URL;
const logger = createLogger('silent');

const KEYS = 10;
const PROJECT = 'prj_bench';
const PROVIDERS = [
  { providerId: 'prv_openai', providerName: 'openai', models: ['gpt-4o-mini', 'gpt-4o', 'o3-mini'] },
  {
    providerId: 'prv_anthropic',
    providerName: 'anthropic',
    models: ['claude-sonnet-4-5', 'claude-haiku-4-5'],
  },
];
const ENDPOINTS = ['chat/completions', 'chat/completions', 'responses', 'embeddings', 'messages'];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 200, 429, 500];

/** What the foreign keys need: one project, its keys, the providers (keyless, so no credential). */
async function seed(store) {
  const now = Date.now();
  await store.insertProject({ id: PROJECT, name: 'bench', limits: {}, createdAt: now, rotationPolicy: null });
  for (const p of PROVIDERS) {
    await store.insertProvider(
      {
        id: p.providerId,
        name: p.providerName,
        type: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:9',
        createdAt: now,
      },
      undefined,
    );
  }
  for (let k = 0; k < KEYS; k++) {
    await store.insertKey({
      id: `key_${k}`,
      name: `k${k}`,
      projectId: PROJECT,
      secretHash: `hash_${k}`,
      displayPrefix: `kw_${k}`,
      ...freshKeyState(now),
      defaultProvider: null,
      scopes: {},
      ipAllow: null,
      limits: {},
      expiresAt: null,
      rotationPolicy: null,
      parentId: null,
      canDelegate: false,
      depth: 0,
    });
  }
}

/** Event `i`, stamped now: a few busy keys and a long tail, a mix of models, endpoints and statuses. */
function event(i) {
  const key = Math.floor(Math.random() ** 2 * KEYS);
  const provider = PROVIDERS[i % PROVIDERS.length];
  const input = 50 + ((i * 7919) % 4000);
  const ts = Date.now();
  return {
    // The ids the gateway gives usage events (USAGE_BENCH_RANDOM_IDS=1: the random ids it gave before).
    id: process.env.USAGE_BENCH_RANDOM_IDS === '1' ? newId('req') : newTimeOrderedId('req', ts),
    ts,
    requestId: `req_${i}`,
    keyId: `key_${key}`,
    projectId: PROJECT,
    providerId: provider.providerId,
    providerName: provider.providerName,
    model: provider.models[i % provider.models.length],
    endpoint: ENDPOINTS[i % ENDPOINTS.length],
    status: STATUSES[i % STATUSES.length],
    inputTokens: input,
    outputTokens: Math.floor(input / 4),
    cachedTokens: i % 3 === 0 ? Math.floor(input / 2) : 0,
    costNanoUsd: i % 50 === 0 ? null : input * 150,
    latencyMs: 200 + (i % 3000),
    ttfbMs: i % 2 === 0 ? 120 : null,
    clientIp: `10.0.${key}.${i % 250}`,
    streamed: i % 2 === 0,
  };
}

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const summary = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: Number(percentile(sorted, 0.5).toFixed(1)),
    p99: Number(percentile(sorted, 0.99).toFixed(1)),
  };
};

/** Records events for SECONDS, then closes the writer; returns what was recorded and how long it took. */
async function run(backend, store, countRows) {
  await seed(store);
  // The one call the writer makes, timed: a batch with its rollups and keys' last use.
  const insertMs = [];
  let writeFailures = 0;
  const timed = (fn, into) => async (arg) => {
    const t = performance.now();
    await fn(arg);
    into.push(performance.now() - t);
  };
  const writer = createUsageWriter({
    store: {
      insertUsage: timed((events) => store.insertUsage(events), insertMs),
    },
    logger,
    flushIntervalMs,
    batchSize,
    // A failed batch stays queued and is retried; the benchmark reports how often that happened.
    onWriteFailed: () => writeFailures++,
  });

  let recorded = 0;
  let peakDepth = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  while (performance.now() < deadline) {
    if (writer.depth() > MAX_DEPTH) {
      // The writer is behind: wait for it rather than let the queue grow (a timer, not a busy spin).
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    for (let j = 0; j < SLICE; j++) writer.record(event(recorded++));
    peakDepth = Math.max(peakDepth, writer.depth());
    await new Promise((resolve) => setImmediate(resolve));
  }
  await writer.close();
  const seconds = (performance.now() - started) / 1000;

  // Every recorded event must be in usage_events, and counted once in the rollups.
  const rows = await countRows();
  const [rollup] = await store.queryUsage({}, null);
  if (rows !== recorded || (rollup?.requests ?? 0) !== recorded) {
    throw new Error(
      `${backend}: recorded ${recorded} events, found ${rows} rows, ${rollup?.requests} in rollups`,
    );
  }
  return {
    backend,
    events: recorded,
    seconds: Number(seconds.toFixed(2)),
    events_per_second: Math.round(recorded / seconds),
    batches: insertMs.length,
    insert_usage_ms: summary(insertMs),
    peak_queue_depth: peakDepth,
    write_failures: writeFailures,
  };
}

async function sqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'kw-bench-usage-writer-'));
  const file = join(dir, 'keywarden.db');
  const store = await openSqliteStore(file);
  const countRows = async () => {
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      return db.prepare('select count(*) as n from usage_events').get().n;
    } finally {
      db.close();
    }
  };
  try {
    return await run('sqlite', store, countRows);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A database of our own on the given server, created here and dropped here, whatever happens. */
async function postgres(url) {
  const name = `keywarden_bench_${process.pid}_${Date.now()}`;
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
    const store = await openPostgresStore(benchUrl.toString());
    const countRows = async () => {
      const client = new pg.Client({ connectionString: benchUrl.toString() });
      await client.connect();
      try {
        return Number((await client.query('select count(*) as n from usage_events')).rows[0].n);
      } finally {
        await client.end();
      }
    };
    try {
      return await run('postgres', store, countRows);
    } finally {
      await store.close();
    }
  } finally {
    // `with (force)` ends any connection a failed run left open.
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

console.log(`usage writer: batch ${batchSize}, flush every ${flushIntervalMs} ms, ${SECONDS} s per backend`);
const results = [];
const skipped = [];
let failed = false;
const backends = [['sqlite', sqlite]];
if (postgresUrl) backends.push(['postgres', () => postgres(postgresUrl)]);
else skipped.push({ backend: 'postgres', reason: 'set KEYWARDEN_BENCH_POSTGRES_URL (or DATABASE_URL)' });
for (const [backend, bench] of backends) {
  try {
    results.push(await bench());
  } catch (error) {
    failed = true;
    console.error(`${backend}: FAILED: ${error instanceof Error ? error.message : error}`);
  }
}

console.log(
  `\n${'backend'.padEnd(10)}${'events'.padStart(10)}${'seconds'.padStart(9)}${'events/s'.padStart(10)}` +
    `${'insert p50/p99 ms'.padStart(20)}`,
);
for (const r of results) {
  console.log(
    `${r.backend.padEnd(10)}${String(r.events).padStart(10)}${r.seconds.toFixed(2).padStart(9)}` +
      `${String(r.events_per_second).padStart(10)}` +
      `${`${r.insert_usage_ms.p50} / ${r.insert_usage_ms.p99}`.padStart(20)}`,
  );
}
for (const s of skipped) console.log(`${s.backend}: skipped, ${s.reason}`);

mkdirSync(resultsDir, { recursive: true });
const out = join(resultsDir, 'usage-writer.json');
const report = {
  seconds: SECONDS,
  batch_size: batchSize,
  flush_interval_ms: flushIntervalMs,
  results,
  skipped,
};
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nresults in ${out}`);
if (failed) process.exitCode = 1;
