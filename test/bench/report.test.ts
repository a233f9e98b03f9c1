import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const REPORT = join(__dirname, '../../bench/gateway/report.mjs');

/** One measured cell as run.sh records it: `ok` responses in 10 s, for 1 s of proxy CPU. */
const cell = (run: string, rep: number, target: string, ok: number) => ({
  run,
  rep,
  kind: 'measure',
  target,
  mode: 'chat',
  conc: 64,
  seconds: 10,
  wrk: {
    requests: ok,
    duration_us: 10_000_000,
    lat_us: { p50: 1000, p99: 2000 },
    errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 },
    check: { ok, bad_status: 0, incomplete: 0, wrong_frames: 0, frames_min: 0, frames_max: 0 },
  },
  proxy_cpu_ticks: 100,
  upstream_cpu_ticks: 0,
  cpu0_busy_pct: 50,
  cpu1_busy_pct: 50,
  proxy_rss_peak_kb: 100_000,
  upstream_served: ok,
  foreign_cpu_ticks: 0,
});

describe('bench report: the targets read three ways', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const writeRun = (run: string, rows: object[]) => {
    const dir = join(root as string, run);
    mkdirSync(dir);
    const settings = { targets: 'baseline keywarden portkey', modes: 'chat', concs: '64', repeats: 2 };
    writeFileSync(
      join(dir, 'meta.json'),
      JSON.stringify({ run, clk_tck: 100, settings, versions: {}, idle_rss_kb: {} }),
    );
    writeFileSync(join(dir, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    return dir;
  };

  /** A run whose repeats measured `targets`: `counts[i][j]` responses of target j in repeat i + 1. */
  const repeats = (run: string, targets: string[], counts: number[][]) =>
    writeRun(
      run,
      counts.flatMap((ok, i) => targets.map((t, j) => cell(run, i + 1, t, ok[j] as number))),
    );

  /** The cells after the name of a target's row in the report of `runs`. */
  const reportRow = (...runs: string[]) => {
    const out = execFileSync(process.execPath, [REPORT, ...runs], { encoding: 'utf8' });
    return (name: string) =>
      out
        .split('\n')
        .find((line) => line.startsWith(`| ${name} |`))
        ?.split('|')
        .slice(2, -1)
        .map((cellText) => cellText.trim());
  };

  it('gives the ratio of all medians, each run ratio with their median, and the median paired ratio', () => {
    root = mkdtempSync(join(tmpdir(), 'kw-report-'));
    // Run a is fast in its first repeat and slow in its second; run b is steady.
    // Responses in each repeat's cells of baseline, keywarden and portkey, repeat by repeat.
    const targets = ['baseline', 'keywarden', 'portkey'];
    const a = repeats('a', targets, [
      [100_000, 80_000, 10_000],
      [40_000, 20_000, 1_000],
    ]);
    const b = repeats('b', targets, [
      [60_000, 42_000, 6_000],
      [60_000, 42_000, 6_000],
    ]);
    const row = reportRow(a, b);

    // Medians of all four repeats: keywarden 42,000, baseline 60,000, portkey 6,000 req/s.
    // Run a: (80,000 + 20,000) / 2 over (100,000 + 40,000) / 2 = 0.71; run b 0.70; their median 0.71.
    // Paired: 0.8, 0.5, 0.7, 0.7, median 0.70.
    expect(row('non-streaming throughput')).toEqual([
      '>= 0.6',
      '0.70',
      '0.71',
      '0.70',
      '0.71',
      '0.70',
      'all, runs, paired',
    ]);
    // Per run: 50,000 / 5,500 = 9.1 and 7.0; paired: 8, 20, 7, 7, median 7.5.
    expect(row('non-streaming vs portkey')).toEqual([
      '>= 10',
      '7.00',
      '9.09',
      '7.00',
      '8.05',
      '7.50',
      'none',
    ]);
    // Equal ticks for every cell: CPU per request is inversely proportional to requests.
    expect(row('non-streaming CPU per request')?.[1]).toBe('1.43');
    // No streaming or scale-out cells were measured: no rows for them.
    expect(row('streaming throughput')).toBeUndefined();
    expect(row('scale-out throughput')).toBeUndefined();
  });

  it('names the readings that meet the stated bound', () => {
    root = mkdtempSync(join(tmpdir(), 'kw-report-'));
    // One run of three repeats. Both medians (baseline 90,000, keywarden 53,000) come from the third
    // repeat, the one with the lowest ratio; the paired ratios are 0.62, 0.67 and 0.59.
    const a = repeats(
      'a',
      ['baseline', 'keywarden'],
      [
        [100_000, 62_000],
        [60_000, 40_000],
        [90_000, 53_000],
      ],
    );
    const row = reportRow(a);
    // All and the one run: 53,000 / 90,000 = 0.589, under 0.6; paired: median 0.62, over it.
    expect(row('non-streaming throughput')).toEqual(['>= 0.6', '0.59', '0.59', '0.59', '0.62', 'paired']);
    // CPU per request is the inverse: 1.698 on all, just under the bound, and 1.61 paired.
    expect(row('non-streaming CPU per request')).toEqual([
      '<= 1.7',
      '1.70',
      '1.70',
      '1.70',
      '1.61',
      'all, runs, paired',
    ]);
  });
});
