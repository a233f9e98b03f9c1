#!/usr/bin/env node
// Summarise one or more benchmark runs into markdown tables (median across runs).
// Usage: node report.mjs <runDir> [<runDir> ...]
//        node report.mjs            (all runs under ./results next to this script)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let dirs = process.argv.slice(2);
if (dirs.length === 0) {
  const root = path.join(here, 'results');
  dirs = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .sort()
        .map((d) => path.join(root, d))
        .filter((d) => fs.existsSync(path.join(d, 'results.jsonl')))
    : [];
}
if (dirs.length === 0) {
  console.error('no runs found');
  process.exit(1);
}

const runs = dirs.map((d) => ({
  dir: d,
  meta: JSON.parse(fs.readFileSync(path.join(d, 'meta.json'), 'utf8')),
  rows: fs
    .readFileSync(path.join(d, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l)),
}));

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
/** The median of one figure over a target's measured cells. */
const medianOf = (measured, k) => median((measured || []).map((x) => x[k]));
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const fmtRps = (x) => (Number.isFinite(x) ? (x >= 100 ? Math.round(x).toString() : x.toFixed(1)) : '-');
const svcUsPerReq = (ticks, tck, requests) =>
  Number.isFinite(ticks) && requests ? ((ticks / tck) * 1e6) / requests : NaN;
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '-');

const meta0 = runs[0].meta;
const order = (meta0.settings.targets || '').split(/\s+/).filter(Boolean);
const modes = (meta0.settings.modes || '').split(/\s+/).filter(Boolean);
const concs = (meta0.settings.concs || '').split(/\s+/).filter(Boolean).map(Number);

// cells[mode][conc][target] = array of per-run derived metrics
const cells = {};
const anomalies = [];
for (const run of runs) {
  const tck = run.meta.clk_tck || 100;
  for (const r of run.rows) {
    if (r.kind === 'warmup' && r.wrk) {
      const c = r.wrk.check;
      const e = r.wrk.errors;
      const bad = c.bad_status + c.incomplete + e.connect + e.read + e.write + e.timeout;
      if (bad)
        anomalies.push(
          `${run.meta.run} warmup ${r.target}/${r.mode}: non200=${c.bad_status} incomplete=${c.incomplete} sock_err=${e.connect + e.read + e.write} timeout=${e.timeout} first_bad=${JSON.stringify(c.first_bad).slice(0, 200)}`,
        );
    }
    if (r.kind !== 'measure') continue;
    const w = r.wrk;
    cells[r.mode] ??= {};
    const m = cells[r.mode];
    m[r.conc] ??= {};
    const cc = m[r.conc];
    cc[r.target] ??= [];
    const arr = cc[r.target];
    if (!w) {
      anomalies.push(`${run.meta.run} ${r.target}/${r.mode}/c${r.conc}: wrk produced no result`);
      continue;
    }
    const c = w.check;
    const e = w.errors;
    const secs = w.duration_us / 1e6;
    const isProxy = r.target !== 'direct';
    const d = {
      run: run.meta.run,
      rep: r.rep ?? 1,
      rps: c.ok / secs, // only responses that passed every check count
      p50: w.lat_us.p50 / 1000,
      p99: w.lat_us.p99 / 1000,
      cpuUsPerReq: isProxy && w.requests ? ((r.proxy_cpu_ticks / tck) * 1e6) / w.requests : NaN,
      proxyCore: isProxy ? (100 * r.proxy_cpu_ticks) / tck / secs : NaN,
      upUsPerReq: w.requests ? ((r.upstream_cpu_ticks / tck) * 1e6) / w.requests : NaN,
      cpu0: r.cpu0_busy_pct,
      cpu1: r.cpu1_busy_pct,
      other: r.foreign_cpu_ticks === undefined ? NaN : (100 * r.foreign_cpu_ticks) / tck / secs,
      rssPeakMB: isProxy ? r.proxy_rss_peak_kb / 1024 : NaN,
      // Postgres / Redis CPU during the cell (runs with the scale-out target; absent = not measured)
      pgUsPerReq: svcUsPerReq(r.services_cpu_ticks?.postgres, tck, w.requests),
      redisUsPerReq: svcUsPerReq(r.services_cpu_ticks?.redis, tck, w.requests),
      requests: w.requests,
      bad: c.bad_status + c.incomplete + e.connect + e.read + e.write + e.timeout,
      wrongFrames: c.wrong_frames,
      frames: c.frames_max
        ? c.frames_min === c.frames_max
          ? `${c.frames_min}`
          : `${c.frames_min}-${c.frames_max}`
        : '',
    };
    arr.push(d);
    if (d.bad)
      anomalies.push(
        `${run.meta.run} ${r.target}/${r.mode}/c${r.conc}: requests=${w.requests} ok=${c.ok} non200=${c.bad_status} incomplete=${c.incomplete} sock_err(connect/read/write)=${e.connect}/${e.read}/${e.write} timeout=${e.timeout} first_bad=${JSON.stringify(c.first_bad).slice(0, 200)}`,
      );
    if (c.wrong_frames)
      anomalies.push(
        `${run.meta.run} ${r.target}/${r.mode}/c${r.conc}: ${c.wrong_frames} of ${w.requests} streams had an unexpected number of SSE frames (${d.frames}; upstream sends ${r.mode === 'chat-stream' ? run.meta.settings.upstream_chunks + 4 : run.meta.settings.upstream_chunks + 6})`,
      );
    if (d.other > 5)
      anomalies.push(
        `${run.meta.run} ${r.target}/${r.mode}/c${r.conc}: other processes on the machine used ${d.other.toFixed(0)}% of a core during this cell`,
      );
    if (r.upstream_served < c.ok || r.upstream_served > w.requests + r.conc + 2) {
      anomalies.push(
        `${run.meta.run} ${r.target}/${r.mode}/c${r.conc}: upstream served ${r.upstream_served} requests for ${w.requests} client responses (${c.ok} ok)`,
      );
    }
  }
}

const out = [];
const p = (s = '') => out.push(s);
const reps = Math.max(1, ...runs.map((r) => r.meta.settings.repeats || 1));
p(
  `## Results (${runs.length} run${runs.length > 1 ? 's' : ''}: ${runs.map((r) => r.meta.run).join(', ')}${reps > 1 ? ` x ${reps} repeats` : ''}; median across runs${reps > 1 ? ' and repeats' : ''})`,
);
p();
const s = meta0.settings;
p(
  `node ${meta0.node}, wrk ${meta0.wrk}, ${meta0.nproc} cores (${meta0.cpu}), kernel ${meta0.kernel}. ` +
    `wrk -t1, ${s.duration_s}s per cell after a ${s.warmup_s}s warm-up per target/mode; upstream sends ${s.upstream_chunks} content chunks per stream ` +
    `(chunk delay ${s.upstream_chunk_delay_ms} ms, latency ${s.upstream_latency_ms} ms). ` +
    (s.pin
      ? `Pinning: wrk + upstream on cpu${s.loadgen_cpu}, each proxy on cpu${s.proxy_cpu}.`
      : 'No CPU pinning.'),
);
p(
  `Versions: ${Object.entries(meta0.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.`,
);
if (meta0.scaleout) {
  p();
  p(
    `keywarden-scaleout: keywarden prepared the same way, but with its store in PostgreSQL ${meta0.scaleout.postgres} (a fresh database) ` +
      `and its counters in Redis ${meta0.scaleout.redis} (own key prefix), as a multi-instance deployment runs it. ` +
      'Its proxy CPU and RSS are its own process only; what Postgres and Redis spent on its requests is in the scale-out table below.',
  );
}
p();
p(
  'Columns: req/s = responses per second that passed every check (200, usage present, complete stream), latency percentiles from wrk (whole response, i.e. full stream for SSE); x direct / x baseline = req/s ratio; ' +
    'proxy CPU = CPU time the proxy process used per request (user+sys, all threads) - the most load-independent cost figure; ' +
    'proxy core = % of its core it used; cpu0 = busy % of the core shared by wrk + upstream; other = CPU used by processes that are not part of the run (other work on a shared machine), % of one core; spread = (max-min)/median of req/s across runs (and repeats); ' +
    'bad = non-200 + incomplete bodies + socket errors + timeouts (summed over runs).',
);
for (const mode of modes) {
  if (!cells[mode]) continue;
  p();
  p(`### ${mode}`);
  p();
  p(
    '| conc | target | req/s | p50 ms | p99 ms | x direct | x baseline | proxy CPU us/req | proxy core % | cpu0 % | other % | peak RSS MB | spread | bad | frames |',
  );
  p('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const conc of concs) {
    const cc = cells[mode][conc];
    if (!cc) continue;
    const med = (t, k) => medianOf(cc[t], k);
    const direct = med('direct', 'rps');
    const base = med('baseline', 'rps');
    for (const t of order) {
      const a = cc[t];
      if (!a?.length) continue;
      const rpsv = a.map((x) => x.rps).filter(Number.isFinite);
      const spread =
        rpsv.length > 1
          ? `${((100 * (Math.max(...rpsv) - Math.min(...rpsv))) / median(rpsv)).toFixed(1)}%`
          : '-';
      const rps = med(t, 'rps');
      const bad = a.reduce((n, x) => n + x.bad, 0);
      const frames = [...new Set(a.map((x) => x.frames).filter(Boolean))].join('/');
      p(
        `| ${conc} | ${t} | ${fmtRps(rps)} | ${fmt(med(t, 'p50'), 2)} | ${fmt(med(t, 'p99'), 2)} | ${t === 'direct' ? '1.00' : ratio(rps, direct)} | ${t === 'direct' ? '-' : ratio(rps, base)} | ` +
          `${fmt(med(t, 'cpuUsPerReq'), 0)} | ${fmt(med(t, 'proxyCore'), 0)} | ${fmt(med(t, 'cpu0'), 0)} | ${fmt(Math.max(...a.map((x) => x.other)), 0)} | ${fmt(med(t, 'rssPeakMB'), 0)} | ${spread} | ${bad} | ${frames} |`,
      );
    }
  }
}

// Every figure of every gateway as a ratio to the bare passthrough measured in the same run: what the
// targets are stated in (throughput up is better; latency, CPU and memory down are better).
p();
p('### Ratios to the bare passthrough (same run, medians)');
p();
p('| mode | conc | target | req/s | p50 | p99 | CPU per request | peak RSS |');
p('|---|---:|---|---:|---:|---:|---:|---:|');
for (const mode of modes) {
  for (const conc of concs) {
    const cc = cells[mode]?.[conc];
    if (!cc?.baseline?.length) continue;
    const med = (t, k) => medianOf(cc[t], k);
    for (const t of order) {
      if (t === 'direct' || t === 'baseline' || !cc[t]?.length) continue;
      const r = (k) => ratio(med(t, k), med('baseline', k));
      p(
        `| ${mode} | ${conc} | ${t} | ${r('rps')} | ${r('p50')} | ${r('p99')} | ${r('cpuUsPerReq')} | ${r('rssPeakMB')} |`,
      );
    }
  }
}

// The targets at 64 connections, read three ways. The machine's speed drifts between repeats (see
// spread), so besides the ratio of the medians of all repeats, each run's ratio of its own medians
// and the ratio within each repeat (two targets measured next to each other) are shown with their
// medians: a target met one way and not another is within the noise.
const TARGET_ROWS = [
  ['non-streaming throughput', 'chat', 'keywarden', 'baseline', 'rps', '>= 0.6'],
  ['non-streaming CPU per request', 'chat', 'keywarden', 'baseline', 'cpuUsPerReq', '<= 1.7'],
  ['streaming throughput', 'chat-stream', 'keywarden', 'baseline', 'rps', '>= 0.8'],
  ['streaming CPU per stream', 'chat-stream', 'keywarden', 'baseline', 'cpuUsPerReq', '<= 1.3'],
  ['scale-out throughput', 'chat', 'keywarden-scaleout', 'baseline', 'rps', '>= 0.5'],
  ['non-streaming vs portkey', 'chat', 'keywarden', 'portkey', 'rps', '>= 10'],
  ['streaming vs portkey', 'chat-stream', 'keywarden', 'portkey', 'rps', '>= 3'],
];
/** Whether a ratio meets a stated bound such as `>= 0.6` or `<= 1.7`. */
const meets = (ratio, stated) => {
  const [op, bound] = stated.split(' ');
  return op === '>=' ? ratio >= Number(bound) : ratio <= Number(bound);
};
const targetRows = TARGET_ROWS.filter(
  ([, mode, t, over]) => cells[mode]?.[64]?.[t]?.length && cells[mode][64][over]?.length,
);
if (targetRows.length) {
  const runIds = runs.map((r) => r.meta.run);
  const digits = (x) => fmt(x, x >= 10 ? 1 : 2);
  p();
  p('### The targets at 64 connections, read three ways');
  p();
  p(
    "all: ratio of the medians of every repeat of every run (the tables above); per run: ratio of that run's own medians, then their median (runs); paired: ratio of two targets measured in the same repeat of the same run, then the median of those; met by: the readings that meet the stated bound.",
  );
  p();
  p(`| target | stated | all | ${runIds.join(' | ')} | median of runs | paired | met by |`);
  p(`|---|---|---:|${runIds.map(() => '---:').join('|')}|---:|---:|---|`);
  for (const [name, mode, t, over, k, stated] of targetRows) {
    const cc = cells[mode][64];
    const all = medianOf(cc[t], k) / medianOf(cc[over], k);
    const ofRun = (target, id) =>
      medianOf(
        cc[target].filter((x) => x.run === id),
        k,
      );
    const perRun = runIds.map((id) => ofRun(t, id) / ofRun(over, id));
    const paired = cc[t].map((x) => {
      const other = cc[over].find((y) => y.run === x.run && y.rep === x.rep);
      return other ? x[k] / other[k] : NaN;
    });
    const readings = { all, runs: median(perRun), paired: median(paired) };
    const metBy = Object.keys(readings).filter((reading) => meets(readings[reading], stated));
    p(
      `| ${name} | ${stated} | ${digits(readings.all)} | ${perRun.map(digits).join(' | ')} | ${digits(readings.runs)} | ${digits(readings.paired)} | ${metBy.join(', ') || 'none'} |`,
    );
  }
}

// The scale-out target moves work into Postgres and Redis: put it back next to the proxy's own CPU.
if (order.includes('keywarden-scaleout')) {
  const measured = meta0.scaleout?.services_measured || '';
  p();
  p('### keywarden-scaleout: CPU spent in Postgres and Redis (us per request, median across runs)');
  p();
  if (!measured)
    p('Not measured: Postgres and Redis are not on this machine (or their processes are not visible).');
  else {
    p(
      `Server processes measured: ${measured} (each server process and its children, e.g. every Postgres backend; anything else they served during the cell counts too). ` +
        'total = keywarden-scaleout process + Postgres + Redis.',
    );
    p();
    p(
      '| mode | conc | keywarden us/req | keywarden-scaleout us/req | Postgres us/req | Redis us/req | total us/req | total x keywarden |',
    );
    p('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const mode of modes)
      for (const conc of concs) {
        const cc = cells[mode]?.[conc];
        if (!cc?.['keywarden-scaleout']?.length) continue;
        const med = (t, k) => medianOf(cc[t], k);
        const kw = med('keywarden', 'cpuUsPerReq');
        const so = med('keywarden-scaleout', 'cpuUsPerReq');
        const pgc = med('keywarden-scaleout', 'pgUsPerReq');
        const rd = med('keywarden-scaleout', 'redisUsPerReq');
        const total = so + (Number.isFinite(pgc) ? pgc : 0) + (Number.isFinite(rd) ? rd : 0);
        p(
          `| ${mode} | ${conc} | ${fmt(kw, 0)} | ${fmt(so, 0)} | ${fmt(pgc, 0)} | ${fmt(rd, 0)} | ${fmt(total, 0)} | ${ratio(total, kw)} |`,
        );
      }
  }
}

// time to first token (sequential probe)
const ttftRows = runs.flatMap((r) => r.rows.filter((x) => x.kind === 'ttft'));
if (ttftRows.length) {
  p();
  p('### Streams at concurrency 1: time to first byte / first token (ttft.mjs, median across runs)');
  p();
  p(
    '| mode | target | response headers p50 ms | first token p50 ms | first token p99 ms | full stream p50 ms | first token vs direct | vs baseline | bad |',
  );
  p('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const mode of modes) {
    const rows = ttftRows.filter((x) => x.mode === mode);
    if (!rows.length) continue;
    const med = (t, f) => median(rows.filter((x) => x.target === t && x.ttft).map((x) => f(x.ttft) / 1000));
    const d = med('direct', (x) => x.first_token_us.p50);
    const b = med('baseline', (x) => x.first_token_us.p50);
    const delta = (x) => (Number.isFinite(x) ? `${(x >= 0 ? '+' : '') + x.toFixed(2)} ms` : '-');
    for (const t of order) {
      const rr = rows.filter((x) => x.target === t);
      if (!rr.length) continue;
      const bad = rr.reduce((n, x) => n + (x.ttft ? x.ttft.bad : 1), 0);
      const ft = med(t, (x) => x.first_token_us.p50);
      p(
        `| ${mode} | ${t} | ${fmt(
          med(t, (x) => x.headers_us.p50),
          2,
        )} | ${fmt(ft, 2)} | ${fmt(
          med(t, (x) => x.first_token_us.p99),
          2,
        )} | ${fmt(
          med(t, (x) => x.total_us.p50),
          2,
        )} | ${t === 'direct' ? '-' : delta(ft - d)} | ${t === 'direct' || t === 'baseline' ? '-' : delta(ft - b)} | ${bad} |`,
      );
      if (bad) anomalies.push(`ttft ${t}/${mode}: ${bad} bad streams`);
    }
  }
}

// RSS summary
p();
p('### Memory (RSS, MB; median across runs)');
p();
p('| process | idle after start | peak under load (any mode/conc) | idle after the run |');
p('|---|---:|---:|---:|');
for (const t of [...order.filter((t) => t !== 'direct'), 'upstream']) {
  const idle = median(runs.map((r) => r.meta.idle_rss_kb?.[t] / 1024));
  const peak = median(
    runs.map((r) =>
      Math.max(
        0,
        ...r.rows
          .filter((x) => x.kind === 'measure' && x.target === t)
          .map((x) => x.proxy_rss_peak_kb / 1024),
      ),
    ),
  );
  const after = median(
    runs.map((r) => {
      const a = r.rows.find((x) => x.kind === 'rss_after');
      return a && a.rss_kb[t] !== undefined ? a.rss_kb[t] / 1024 : NaN;
    }),
  );
  p(`| ${t} | ${fmt(idle, 1)} | ${t === 'upstream' ? '-' : fmt(peak, 1)} | ${fmt(after, 1)} |`);
}

p();
p('### Checks');
p();
let total = 0;
let totalBad = 0;
for (const m of Object.values(cells))
  for (const c of Object.values(m))
    for (const a of Object.values(c))
      for (const x of a) {
        total += x.requests;
        totalBad += x.bad;
      }
p(`${total} measured responses, ${totalBad} bad (non-200, incomplete body/stream, socket errors, timeouts).`);
if (anomalies.length) {
  p();
  p('Anomalies:');
  for (const a of anomalies) p(`- ${a}`);
} else p('No anomalies.');
console.log(out.join('\n'));
