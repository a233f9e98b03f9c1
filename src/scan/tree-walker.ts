import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import ignore, { type Ignore } from 'ignore';

const run = promisify(execFile);

/** A regular file under the scanned root; `path` is relative, with `/` separators. */
export interface TreeFile {
  path: string;
  absolute: string;
  size: number;
}

/**
 * Files of a working tree, honouring .gitignore. Inside a git work tree git itself lists them
 * (tracked plus untracked-but-not-ignored: every .gitignore rule, global excludes included);
 * elsewhere the tree is walked with each directory's .gitignore applied. Symlinks are followed
 * only to regular files inside the root, and each real file is listed once.
 */
export async function listTreeFiles(root: string): Promise<TreeFile[]> {
  const realRoot = await realpath(root);
  const top = await stat(realRoot);
  if (top.isFile()) return [{ path: basename(realRoot), absolute: realRoot, size: top.size }];
  const paths = (await gitListFiles(realRoot)) ?? (await walk(realRoot));
  const seen = new Set<string>();
  const files: TreeFile[] = [];
  for (const path of paths) {
    const file = await regularFileInside(realRoot, path);
    if (!file || seen.has(file.real)) continue;
    seen.add(file.real);
    files.push({ path, absolute: join(realRoot, path), size: file.size });
  }
  return files;
}

async function regularFileInside(
  root: string,
  path: string,
): Promise<{ real: string; size: number } | undefined> {
  const absolute = join(root, path);
  try {
    const link = await lstat(absolute);
    if (link.isFile()) return { real: absolute, size: link.size };
    if (!link.isSymbolicLink()) return undefined;
    const real = await realpath(absolute);
    if (real !== root && !real.startsWith(root + sep)) return undefined;
    const target = await stat(real);
    return target.isFile() ? { real, size: target.size } : undefined;
  } catch {
    // Listed but gone (deleted in the work tree, a dangling link): nothing to scan.
    return undefined;
  }
}

async function gitListFiles(root: string): Promise<string[] | undefined> {
  try {
    const inside = await run('git', ['-C', root, 'rev-parse', '--is-inside-work-tree']);
    if (inside.stdout.trim() !== 'true') return undefined;
    const listed = await run(
      'git',
      ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate'],
      { maxBuffer: 1024 * 1024 * 1024 },
    );
    return listed.stdout.split('\0').filter((p) => p !== '');
  } catch {
    return undefined;
  }
}

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string, rules: Array<{ base: string; ig: Ignore }>) => {
    const here = await gitignoreOf(dir);
    const active = here ? [...rules, { base: dir, ig: here }] : rules;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const absolute = join(dir, entry.name);
      const isDir = entry.isDirectory();
      if (active.some(({ base, ig }) => ig.ignores(toPosix(relative(base, absolute)) + (isDir ? '/' : ''))))
        continue;
      if (isDir) await visit(absolute, active);
      else if (entry.isFile() || entry.isSymbolicLink()) out.push(toPosix(relative(root, absolute)));
    }
  };
  await visit(root, []);
  return out;
}

async function gitignoreOf(dir: string): Promise<Ignore | undefined> {
  try {
    return ignore().add(await readFile(join(dir, '.gitignore'), 'utf8'));
  } catch {
    return undefined;
  }
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

const WHOLE_FILE_LIMIT = 8 * 1024 * 1024;

/** A file's bytes in pieces: small files in one read, large ones streamed. */
export async function* readPieces(file: TreeFile): AsyncGenerator<Buffer> {
  if (file.size <= WHOLE_FILE_LIMIT) {
    yield await readFile(file.absolute);
    return;
  }
  for await (const piece of createReadStream(file.absolute, { highWaterMark: 4 * 1024 * 1024 })) {
    yield piece as Buffer;
  }
}
