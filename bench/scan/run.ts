/**
 * `npm run bench:scan`: throughput, recall and precision of `keywarden scan` on a generated corpus
 * (source-like files with planted keys and decoys) and a generated git history, side by side with
 * secretlint on the same corpus. Not a test: it prints a table and writes results to RESULTS_DIR
 * (default: a fresh temp dir), never into the repository.
 *
 * Environment: RESULTS_DIR, BENCH_MB (corpus size, default 200), BENCH_KEYS (default 3000),
 * BENCH_DECOYS (default 3000), BENCH_COMMITS (default 3000), SECRETLINT=0 to skip secretlint.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCorpus } from './corpus.js';
import { writeHistory } from './history.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const BIN = join(ROOT, 'bin/keywarden.js');
const env = process.env;
const RESULTS_DIR = resolve(env.RESULTS_DIR ?? mkdtempSync(join(tmpdir(), 'keywarden-bench-scan-')));
const MB = Number(env.BENCH_MB ?? 200);
const KEYS = Number(env.BENCH_KEYS ?? 3000);
const DECOYS = Number(env.BENCH_DECOYS ?? 3000);
const COMMITS = Number(env.BENCH_COMMITS ?? 3000);

interface Score {
  tool: string;
  target: string;
  seconds: number;
  mbPerSecond: number;
  findings: number;
  truePositives: number;
  recall: number;
  precision: number;
}

function timed(command: string, args: string[], cwd: string) {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { cwd, maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr?.slice(0, 2000)}`);
  }
  return { seconds, stdout: run.stdout };
}

function score(
  tool: string,
  target: string,
  seconds: number,
  bytes: number,
  found: string[],
  truth: Set<string>,
): Score {
  const unique = new Set(found);
  const truePositives = [...unique].filter((f) => truth.has(f)).length;
  return {
    tool,
    target,
    seconds,
    mbPerSecond: bytes / 1024 / 1024 / seconds,
    findings: unique.size,
    truePositives,
    recall: truePositives / truth.size,
    precision: unique.size === 0 ? 1 : truePositives / unique.size,
  };
}

function installSecretlint(): string | undefined {
  const dir = join(RESULTS_DIR, 'secretlint');
  if (!existsSync(join(dir, 'node_modules/@secretlint/secretlint-formatter-sarif'))) {
    mkdirSync(dir, { recursive: true });
    const installed = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        dir,
        '--no-audit',
        '--no-fund',
        'secretlint',
        '@secretlint/secretlint-rule-preset-recommend',
        '@secretlint/secretlint-formatter-sarif',
      ],
      { encoding: 'utf8' },
    );
    if (installed.status !== 0) {
      console.error(`secretlint could not be installed; skipping it:\n${installed.stderr}`);
      return undefined;
    }
  }
  return join(dir, 'node_modules/.bin/secretlint');
}

/** `path:line` of every SARIF result, paths relative to `root`. */
function sarifLocations(text: string, root: string): string[] {
  const sarif = JSON.parse(text) as {
    runs: Array<{
      results?: Array<{
        locations?: Array<{
          physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } };
        }>;
      }>;
    }>;
  };
  return (sarif.runs[0]?.results ?? []).map((result) => {
    const where = result.locations?.[0]?.physicalLocation;
    const uri = decodeURIComponent((where?.artifactLocation?.uri ?? '').replace(/^file:\/\//, ''));
    return `${uri.startsWith('/') ? relative(root, uri) : uri}:${where?.region?.startLine ?? 0}`;
  });
}

function main(): void {
  console.log(`results in ${RESULTS_DIR}`);
  const corpusDir = join(RESULTS_DIR, 'corpus');
  rmSync(corpusDir, { recursive: true, force: true });
  rmSync(join(RESULTS_DIR, 'history'), { recursive: true, force: true });
  const corpus = writeCorpus(corpusDir, MB * 1024 * 1024, KEYS, DECOYS);
  console.log(
    `corpus: ${corpus.files} files, ${(corpus.bytes / 1024 / 1024).toFixed(1)} MiB, ${corpus.planted.length} keys, ${corpus.decoys} decoys`,
  );
  const history = writeHistory(join(RESULTS_DIR, 'history'), COMMITS);
  console.log(`history: ${history.commits} commits, ${history.planted.length} keys ever committed`);

  const scores: Score[] = [];
  const treeTruth = new Set(corpus.planted.map((p) => `${p.path}:${p.lineNo}`));

  const tree = timed(process.execPath, [BIN, 'scan', corpusDir, '--format', 'json', '--no-progress'], ROOT);
  const treeReport = JSON.parse(tree.stdout) as { findings: Array<{ path: string; line: number }> };
  scores.push(
    score(
      'keywarden',
      'tree',
      tree.seconds,
      corpus.bytes,
      treeReport.findings.map((f) => `${f.path}:${f.line}`),
      treeTruth,
    ),
  );

  const git = timed(
    process.execPath,
    [BIN, 'scan', history.dir, '--git', '--format', 'json', '--no-progress'],
    ROOT,
  );
  const gitReport = JSON.parse(git.stdout) as {
    findings: Array<{ redacted: string }>;
    stats: { bytes: number };
  };
  // History truth: each planted key, by its redacted form (prefix + last 4; unique enough here).
  const redactedTruth = new Set(history.planted.map((p) => p.secret.slice(-4)));
  scores.push(
    score(
      'keywarden',
      `git (${history.commits} commits)`,
      git.seconds,
      gitReport.stats.bytes,
      gitReport.findings.map((f) => f.redacted.slice(-4)),
      redactedTruth,
    ),
  );

  if (env.SECRETLINT !== '0') {
    const secretlint = installSecretlint();
    if (secretlint) {
      writeFileSync(
        join(corpusDir, '.secretlintrc.json'),
        JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }),
      );
      // SARIF to a file: its JSON format embeds every file's content, and stdout may be cut at exit.
      const output = join(RESULTS_DIR, 'secretlint.sarif');
      rmSync(output, { force: true });
      const run = timed(
        secretlint,
        [
          '**/*',
          '--format',
          '@secretlint/secretlint-formatter-sarif',
          '--output',
          output,
          '--secretlintrc',
          join(corpusDir, '.secretlintrc.json'),
        ],
        corpusDir,
      );
      const found = existsSync(output) ? sarifLocations(readFileSync(output, 'utf8'), corpusDir) : [];
      scores.push(
        score('secretlint (preset-recommend)', 'tree', run.seconds, corpus.bytes, found, treeTruth),
      );
    }
  }

  const rows = scores.map((s) => [
    s.tool,
    s.target,
    s.seconds.toFixed(2),
    s.mbPerSecond.toFixed(1),
    String(s.findings),
    `${(s.recall * 100).toFixed(2)}%`,
    `${(s.precision * 100).toFixed(2)}%`,
  ]);
  const header = ['tool', 'target', 'seconds', 'MB/s', 'findings', 'recall', 'precision'];
  const table = [header, ...rows].map((r) => `| ${r.join(' | ')} |`);
  table.splice(1, 0, `|${header.map(() => '---').join('|')}|`);
  const kw = scores.find((s) => s.tool === 'keywarden' && s.target === 'tree');
  const sl = scores.find((s) => s.tool.startsWith('secretlint'));
  const speedup =
    kw && sl
      ? `\nkeywarden is ${(kw.mbPerSecond / sl.mbPerSecond).toFixed(1)}x secretlint's throughput on the same corpus.\n`
      : '';
  const text = `${table.join('\n')}\n${speedup}`;
  console.log(`\n${text}`);
  writeFileSync(
    join(RESULTS_DIR, 'results.json'),
    `${JSON.stringify({ corpus: { files: corpus.files, bytes: corpus.bytes, keys: corpus.planted.length, decoys: corpus.decoys }, history: { commits: history.commits, keys: history.planted.length }, scores }, null, 2)}\n`,
  );
  writeFileSync(join(RESULTS_DIR, 'results.md'), text);
}

main();
