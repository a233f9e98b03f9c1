import type { Allowlist } from './allowlist.js';
import { ChunkScanner, type LocatedMatch } from './chunk-scanner.js';
import { createFindingSink, type Finding, type FindingSink, sortFindings } from './findings.js';
import { assertGitRepo, gitOutput, listHistoryBlobs, readBlobs } from './git-walker.js';
import { createMatcher, type Matcher } from './matcher.js';
import type { Rule } from './rules.js';
import { listTreeFiles, readPieces, type TreeFile } from './tree-walker.js';

export type ScanMode = 'tree' | 'git' | 'stdin' | 'staged';

export interface ScanProgress {
  done: number;
  total: number;
  unit: 'bytes' | 'blobs';
}

export interface ScanOptions {
  rules: readonly Rule[];
  allowlist: Allowlist;
  onProgress?: (progress: ScanProgress) => void;
}

export interface ScanReport {
  mode: ScanMode;
  target: string;
  findings: Finding[];
  /** Matches dropped by the allowlist or an inline `keywarden:allow`. */
  allowed: number;
  /** Files (or blobs) read, and of those, skipped as binary. */
  sources: number;
  binary: number;
  bytes: number;
  rules: readonly Rule[];
}

interface Context {
  matcher: Matcher;
  sink: FindingSink;
  report: ScanReport;
}

function start(mode: ScanMode, target: string, options: ScanOptions): Context {
  const sink = createFindingSink(options.allowlist);
  const report: ScanReport = {
    mode,
    target,
    findings: sink.findings,
    allowed: 0,
    sources: 0,
    binary: 0,
    bytes: 0,
    rules: options.rules,
  };
  return { matcher: createMatcher(options.rules), sink, report };
}

function finish({ sink, report }: Context): ScanReport {
  report.allowed = sink.allowed;
  sortFindings(report.findings);
  return report;
}

/** Scans a working tree (or one file): .gitignore honoured, binaries skipped, large files streamed. */
export async function scanTree(root: string, options: ScanOptions): Promise<ScanReport> {
  const ctx = start('tree', root, options);
  const files = await listTreeFiles(root);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  // Reads run a few files ahead of the scanning, so the disk and the CPU overlap.
  const ahead: Array<Promise<Buffer[] | undefined>> = [];
  const prefetch = (file: TreeFile | undefined) =>
    ahead.push(file && file.size <= 1024 * 1024 ? readSmall(file) : Promise.resolve(undefined));
  for (let i = 0; i < Math.min(16, files.length); i++) prefetch(files[i]);
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as TreeFile;
    const pieces = (await ahead[i]) ?? readPieces(file);
    prefetch(files[i + 16]);
    await scanSource(ctx, file.path, pieces);
    options.onProgress?.({ done: ctx.report.bytes, total, unit: 'bytes' });
  }
  return finish(ctx);
}

async function readSmall(file: TreeFile): Promise<Buffer[] | undefined> {
  const pieces: Buffer[] = [];
  try {
    for await (const piece of readPieces(file)) pieces.push(piece);
    return pieces;
  } catch {
    return [];
  }
}

async function scanSource(
  ctx: Context,
  path: string,
  pieces: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<void> {
  const scanner = new ChunkScanner(ctx.matcher, (match) => ctx.sink.add(match, path));
  ctx.report.sources++;
  try {
    for await (const piece of pieces) {
      ctx.report.bytes += piece.length;
      if (!scanner.push(piece)) break;
    }
  } catch {
    // Unreadable (permissions, vanished): skipped like a binary.
  }
  scanner.end();
  if (scanner.binary) ctx.report.binary++;
}

/** Scans standard input as one source named `<stdin>`. */
export async function scanStream(
  stream: AsyncIterable<string | Uint8Array>,
  options: ScanOptions,
): Promise<ScanReport> {
  const ctx = start('stdin', '<stdin>', options);
  async function* buffers() {
    for await (const piece of stream)
      yield typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
  }
  await scanSource(ctx, '<stdin>', buffers());
  return finish(ctx);
}

/**
 * Scans every blob reachable from every ref, each read once through `git cat-file --batch`;
 * findings carry the commit that introduced the blob, its author date and path.
 */
export async function scanGitHistory(repo: string, options: ScanOptions): Promise<ScanReport> {
  const ctx = start('git', repo, options);
  await assertGitRepo(repo);
  const blobs = await listHistoryBlobs(repo);
  const shas = [...blobs.keys()];
  const scanners = new Map<string, { scanner: ChunkScanner; matches: LocatedMatch[] }>();
  let done = 0;
  await readBlobs(repo, shas, {
    onPiece(sha, piece) {
      let entry = scanners.get(sha);
      if (!entry) {
        const matches: LocatedMatch[] = [];
        entry = { scanner: new ChunkScanner(ctx.matcher, (match) => matches.push(match)), matches };
        scanners.set(sha, entry);
      }
      ctx.report.bytes += piece.length;
      entry.scanner.push(piece);
    },
    onBlobEnd(sha) {
      ctx.report.sources++;
      const entry = scanners.get(sha);
      scanners.delete(sha);
      if (entry) {
        entry.scanner.end();
        if (entry.scanner.binary) ctx.report.binary++;
        const origin = blobs.get(sha);
        for (const match of entry.matches) {
          ctx.sink.add(
            match,
            origin?.path ?? sha,
            origin && { commit: origin.commit, authorDate: origin.authorDate },
          );
        }
      }
      done++;
      if (done % 256 === 0 || done === shas.length)
        options.onProgress?.({ done, total: shas.length, unit: 'blobs' });
    },
  });
  ctx.report.findings = earliestPerPlace(ctx.report.findings);
  return finish(ctx);
}

/**
 * A key left in a file is in every later version of that file, each a blob of its own: one
 * finding per secret and path is kept, from the commit that first introduced it.
 */
function earliestPerPlace(findings: Finding[]): Finding[] {
  const kept = new Map<string, Finding>();
  const time = (f: Finding) => (f.git ? Date.parse(f.git.authorDate) : 0);
  for (const finding of findings) {
    const place = `${finding.fingerprint}\0${finding.path}`;
    const seen = kept.get(place);
    if (!seen || time(finding) < time(seen)) kept.set(place, finding);
  }
  return [...kept.values()];
}

/**
 * Scans only the lines a commit would add: the staged diff (`git diff --cached`), each added
 * line reported at its line number in the staged file. Used by the pre-commit hook.
 */
export async function scanStaged(repo: string, options: ScanOptions): Promise<ScanReport> {
  const ctx = start('staged', repo, options);
  await assertGitRepo(repo);
  const diff = await gitOutput(repo, [
    '-c',
    'core.quotePath=false',
    'diff',
    '--cached',
    '--no-color',
    '--no-ext-diff',
    '--diff-filter=ACMR',
    '-U0',
  ]);
  for (const file of addedLines(diff)) {
    const scanner = new ChunkScanner(ctx.matcher, (match) =>
      ctx.sink.add({ ...match, line: file.lines[match.line - 1] ?? match.line }, file.path),
    );
    ctx.report.sources++;
    const text = Buffer.from(file.text.join('\n'));
    ctx.report.bytes += text.length;
    scanner.push(text);
    scanner.end();
  }
  return finish(ctx);
}

interface AddedLines {
  path: string;
  text: string[];
  /** The staged file's line number of each added line. */
  lines: number[];
}

function addedLines(diff: string): AddedLines[] {
  const files: AddedLines[] = [];
  let file: AddedLines | undefined;
  let next = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const path = line.slice(4);
      file = path === '/dev/null' ? undefined : { path: path.replace(/^b\//, ''), text: [], lines: [] };
      if (file) files.push(file);
    } else if (line.startsWith('@@')) {
      next = Number(/\+(\d+)/.exec(line)?.[1] ?? 0);
    } else if (file && line.startsWith('+')) {
      file.text.push(line.slice(1));
      file.lines.push(next++);
    }
  }
  return files;
}
