#!/usr/bin/env node
// Verdict of one soak (soak.sh): reads RUN_DIR/soak.json (settings, wrk summary, VmHWM) and
// RUN_DIR/rss.tsv (RSS samples), writes RUN_DIR/summary.json and RUN_DIR/summary.md, prints the
// markdown, and exits 1 if a check failed.
// Usage: node soak-report.mjs RUN_DIR
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node soak-report.mjs RUN_DIR');
  process.exit(2);
}
const soak = JSON.parse(fs.readFileSync(path.join(dir, 'soak.json'), 'utf8'));
const samples = fs
  .readFileSync(path.join(dir, 'rss.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split('\t').map(Number))
  .filter(([, kb]) => kb > 0)
  .map(([s, kb]) => ({ s, mb: kb / 1024 }))
  // the end-of-load sample can land on the same second as the last grid sample: keep the later one
  .filter((x, i, all) => i === all.length - 1 || all[i + 1].s !== x.s);

const mb = (x) => Math.round(x * 10) / 10;
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};
// RSS under load is a sawtooth (the heap grows until a major GC gives it back), so one sample says
// little: compare the median of a window of samples after the settle point (the first minute by
// default, when the heap, the JIT and the connection pools are done growing on purpose) with the
// median of a window of the same length at the end. A leak moves the whole sawtooth up.
const windowS = Math.min(soak.settle_s, Math.max(soak.sample_s ?? 10, (soak.seconds - soak.settle_s) / 2));
const lastS = samples.at(-1)?.s ?? 0;
const firstWindow = samples.filter((x) => x.s >= soak.settle_s && x.s < soak.settle_s + windowS);
const lastWindow = samples.filter((x) => x.s > lastS - windowS);
const ref =
  firstWindow.length > 0 ? { s: soak.settle_s, mb: median(firstWindow.map((x) => x.mb)) } : undefined;
const end = lastWindow.length > 0 ? { s: lastS, mb: median(lastWindow.map((x) => x.mb)) } : undefined;
const peakMb = Math.max(soak.peak_rss_kb / 1024, ...samples.map((x) => x.mb));
const growthPct = ref && end ? (100 * (end.mb - ref.mb)) / ref.mb : NaN;

const w = soak.wrk;
const c = w?.check;
const e = w?.errors;
const requests = w ? w.requests : 0;
const ok = c ? c.ok : 0;
const bad = w ? c.bad_status + c.incomplete + e.connect + e.read + e.write + e.timeout : NaN;

const checks = [
  {
    name: `median RSS of the last ${windowS}s within ${soak.max_growth_pct}% of the ${windowS}s after ${soak.settle_s}s`,
    pass: Number.isFinite(growthPct) && growthPct <= soak.max_growth_pct,
    value: Number.isFinite(growthPct) ? `${growthPct.toFixed(1)}%` : 'no samples',
  },
  {
    // The peak (the kernel's high-water mark), not the median: a spike past the limit counts.
    name: `peak RSS under ${soak.max_rss_mb} MB`,
    pass: samples.length > 0 && peakMb < soak.max_rss_mb,
    value: `${mb(peakMb)} MB`,
  },
  // a soak where the gateway stopped answering properly says nothing about its memory
  {
    name: 'every response verified (200, usage present), none lost',
    pass: requests > 0 && bad === 0,
    value: `${requests} requests, ${bad} bad`,
  },
];
const passed = checks.every((x) => x.pass);

const summary = {
  run: soak.run,
  date_utc: soak.date_utc,
  target: soak.target,
  node: soak.node,
  seconds: soak.seconds,
  conns: soak.conns,
  reference_at_s: ref?.s ?? null,
  rss_first_minute_mb: ref ? mb(ref.mb) : null,
  rss_end_mb: end ? mb(end.mb) : null,
  rss_peak_mb: mb(peakMb),
  growth_pct: Number.isFinite(growthPct) ? Math.round(growthPct * 10) / 10 : null,
  requests,
  ok,
  bad,
  rps: w ? Math.round(ok / (w.duration_us / 1e6)) : 0,
  latency_ms: w ? { p50: w.lat_us.p50 / 1000, p99: w.lat_us.p99 / 1000 } : null,
  upstream_served: soak.upstream_served,
  first_bad: c?.first_bad || undefined,
  checks: checks.map(({ name, pass, value }) => ({ name, pass, value })),
  pass: passed,
  rss_samples: samples.map((x) => [x.s, mb(x.mb)]),
};
fs.writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

// RSS once a minute (every sample for a soak shorter than two minutes): the shape of the curve tells a
// leak (steady climb) from a plateau.
const step = soak.seconds >= 120 ? 60 : soak.sample_s;
const curve = samples.filter((x, i) => x.s % step === 0 || i === samples.length - 1);

const out = [];
const p = (s = '') => out.push(s);
p(`## Soak ${soak.run}: ${passed ? 'PASS' : 'FAIL'}`);
p();
p(
  `${soak.target}, ${soak.mode === 'chat-stream' ? 'streaming' : 'non-streaming'} chat, ${soak.conns} connections for ${soak.seconds}s (wrk -t1, every response verified), ` +
    `node ${soak.node}${soak.pin ? ', wrk + upstream on one core and keywarden on the other' : ''}.`,
);
p();
p(
  `| median RSS, ${windowS}s after ${soak.settle_s}s | median RSS, last ${windowS}s | peak RSS | growth | requests | req/s | p50 ms | p99 ms | bad |`,
);
p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
p(
  `| ${summary.rss_first_minute_mb ?? '-'} MB | ${summary.rss_end_mb ?? '-'} MB | ${summary.rss_peak_mb} MB | ` +
    `${summary.growth_pct ?? '-'}% | ${requests} | ${summary.rps} | ${summary.latency_ms?.p50 ?? '-'} | ${summary.latency_ms?.p99 ?? '-'} | ${bad} |`,
);
p();
for (const x of checks) p(`- ${x.pass ? 'PASS' : 'FAIL'} ${x.name}: ${x.value}`);
if (summary.first_bad) p(`- first bad response: ${JSON.stringify(summary.first_bad).slice(0, 200)}`);
p();
p(`RSS MB over time (s: MB): ${curve.map((x) => `${x.s}: ${mb(x.mb)}`).join(', ')}`);
p('Peak RSS is the kernel high-water mark (VmHWM), so spikes between samples count.');
const md = out.join('\n');
fs.writeFileSync(path.join(dir, 'summary.md'), `${md}\n`);
console.log(md);
process.exit(passed ? 0 : 1);
