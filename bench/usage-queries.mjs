// Usage-query benchmark (not a test): builds a store of EVENTS usage events (10 million by
// default; rows and rollups computed by the store's own rollupRows, written with prepared
// statements so generation takes minutes), measures the real write path on a sample, then
// times the queries the dashboard and `keywarden usage` make, answered from rollups, against the
// same questions asked of the raw events table. Results go to RESULTS_DIR (default bench-results/).
//
//   npm run bench:usage                 EVENTS=1000000 npm run bench:usage
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { fromUsage } from '../dist/store/row-mapping.js';
import { openSqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { rollupRows } from '../dist/store/usage-rollups.js';

const EVENTS = Number(process.env.EVENTS ?? 10_000_000);
const BATCH = 5_000;
const DAYS = 30;
const KEYS = 200;
const PROJECTS = 10;
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'llama-3.1-70b'];
const PROVIDERS = [
  { providerId: 'prv_openai', providerName: 'openai' },
  { providerId: 'prv_anthropic', providerName: 'anthropic' },
];
const resultsDir = process.env.RESULTS_DIR ?? 'bench-results';
const dir = mkdtempSync(join(tmpdir(), 'keywarden-bench-'));
const file = join(dir, 'keywarden.db');
const end = Date.UTC(2026, 10, 1);
const start = end - DAYS * 86_400_000;

let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

function event(i) {
  const key = Math.floor(random() ** 2 * KEYS); // a few busy keys, a long tail
  const model = Math.floor(random() * MODELS.length);
  const input = 50 + Math.floor(random() * 4000);
  return {
    id: `req_${i}`,
    ts: start + Math.floor((i / EVENTS) * (end - start)),
    requestId: `rid_${i}`,
    keyId: `key_${key}`,
    projectId: `prj_${key % PROJECTS}`,
    ...PROVIDERS[model < 2 || model === 4 ? 0 : 1],
    model: MODELS[model],
    endpoint: 'chat/completions',
    status: random() < 0.02 ? 500 : 200,
    inputTokens: input,
    outputTokens: Math.floor(input / 3),
    cachedTokens: 0,
    costNanoUsd: input * 2_500,
    latencyMs: 200 + Math.floor(random() * 3000),
    ttfbMs: 100,
    clientIp: '10.0.0.1',
    streamed: false,
  };
}

const store = await openSqliteStore(file);

// The real write path (events and rollups in one transaction per batch), timed on a sample.
const SAMPLE = Math.min(100_000, EVENTS);
const writeStarted = performance.now();
for (let i = 0; i < SAMPLE; i += 1_000) {
  const batch = [];
  for (let j = i; j < Math.min(i + 1_000, SAMPLE); j++) batch.push(event(j));
  await store.insertUsage(batch);
}
const writeSeconds = (performance.now() - writeStarted) / 1000;

// The rest is generated directly into the same tables.
console.log(`generating ${EVENTS.toLocaleString()} events in ${file} ...`);
const generateStarted = performance.now();
const db = new BetterSqlite3(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
const insertEvent = db.prepare(
  `insert into usage_events values (@id, @ts, @request_id, @key_id, @project_id, @provider_id, @provider_name,
   @model, @endpoint, @status, @input_tokens, @output_tokens, @cached_tokens, @cost_nusd, @latency_ms, @ttfb_ms,
   @client_ip, @streamed)`,
);
const upsertRollup = db.prepare(
  `insert into usage_rollups values (@bucket_ms, @bucket_start, @key_id, @project_id, @provider_id, @provider_name,
   @model, @endpoint, @requests, @errors, @input_tokens, @output_tokens, @cached_tokens, @cost_nusd, @unpriced, @latency_ms)
   on conflict (bucket_ms, bucket_start, key_id, provider_id, model, endpoint) do update set
   requests = requests + excluded.requests, errors = errors + excluded.errors,
   input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
   cached_tokens = cached_tokens + excluded.cached_tokens, cost_nusd = cost_nusd + excluded.cost_nusd,
   unpriced = unpriced + excluded.unpriced, latency_ms = latency_ms + excluded.latency_ms`,
);
const writeBatch = db.transaction((events) => {
  for (const e of events) {
    insertEvent.run(fromUsage(e));
  }
  for (const row of rollupRows(events)) upsertRollup.run(row);
});
for (let i = SAMPLE; i < EVENTS; i += BATCH) {
  const batch = [];
  for (let j = i; j < Math.min(i + BATCH, EVENTS); j++) batch.push(event(j));
  writeBatch(batch);
  if ((i / BATCH) % 200 === 0) console.log(`  ${i.toLocaleString()} written`);
}
db.close();
const generateSeconds = (performance.now() - generateStarted) / 1000;

const iso = (ms) => new Date(ms).toISOString();
const monthStart = Date.UTC(2026, 9, 1);
const queries = [
  ['totals, all time', {}, null],
  ['totals, this month (cut at a minute)', { from: monthStart + 7 * 60_000 + 30_000 }, null],
  ['per day, last 30 days', { from: start }, 'day'],
  ['per hour, last 24 hours', { from: end - 86_400_000 }, 'hour'],
  ['by key, this month', { from: monthStart }, 'key'],
  ['by model, this month', { from: monthStart }, 'model'],
  ['by provider, last 24 hours', { from: end - 86_400_000 }, 'provider'],
  ['one key per hour, last 24 hours', { keyId: 'key_0', from: end - 86_400_000 }, 'hour'],
  ['one project by model, 7 days', { projectId: 'prj_3', from: end - 7 * 86_400_000 }, 'model'],
];

// The same questions asked of the raw events table (what queries cost without rollups).
const raw = new BetterSqlite3(file, { readonly: true });
const rawSql = (filter, groupBy) => {
  const group = {
    null: 'null',
    day: '(ts / 86400000) * 86400000',
    hour: '(ts / 3600000) * 3600000',
    key: 'key_id',
    model: 'model',
    provider: 'provider_name',
  }[String(groupBy)];
  const where = ['1 = 1'];
  if (filter.keyId) where.push(`key_id = '${filter.keyId}'`);
  if (filter.projectId) where.push(`project_id = '${filter.projectId}'`);
  if (filter.from) where.push(`ts >= ${filter.from}`);
  return `select ${group} as grp, count(*), sum(input_tokens), sum(output_tokens), sum(cost_nusd) from usage_events where ${where.join(' and ')} group by grp`;
};

const time = async (fn) => {
  await fn();
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await fn();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  return runs[2];
};

const rows = [];
for (const [name, filter, groupBy] of queries) {
  const rollupMs = await time(() => store.queryUsage(filter, groupBy));
  const rawMs = await time(() => raw.prepare(rawSql(filter, groupBy)).all());
  rows.push({ query: name, rollup_ms: Number(rollupMs.toFixed(1)), raw_scan_ms: Number(rawMs.toFixed(1)) });
  console.log(
    `${name.padEnd(40)} rollups ${rollupMs.toFixed(1).padStart(8)} ms   raw ${rawMs.toFixed(1).padStart(9)} ms`,
  );
}
raw.close();
await store.close();

mkdirSync(resultsDir, { recursive: true });
const result = {
  events: EVENTS,
  days: DAYS,
  keys: KEYS,
  write_path_sample: SAMPLE,
  write_path_events_per_second: Math.round(SAMPLE / writeSeconds),
  generate_seconds: Number(generateSeconds.toFixed(1)),
  range: [iso(start), iso(end)],
  queries: rows,
};
writeFileSync(join(resultsDir, 'usage-queries.json'), `${JSON.stringify(result, null, 2)}\n`);
const table = [
  `# Usage queries over ${EVENTS.toLocaleString()} events (SQLite, median of 5)`,
  '',
  `The usage write path (events + rollups per transaction) wrote ${SAMPLE.toLocaleString()} events at ${result.write_path_events_per_second.toLocaleString()} events/s; the rest was generated in ${result.generate_seconds} s.`,
  '',
  '| query | from rollups (ms) | raw scan (ms) |',
  '| --- | ---: | ---: |',
  ...rows.map((r) => `| ${r.query} | ${r.rollup_ms} | ${r.raw_scan_ms} |`),
  '',
].join('\n');
writeFileSync(join(resultsDir, 'usage-queries.md'), table);
console.log(`\nresults in ${resultsDir}/usage-queries.{json,md}`);
rmSync(dir, { recursive: true, force: true });
