import { spawn } from 'node:child_process';
import type { GitOrigin } from './findings.js';

/** The first commit (oldest in history order) that put a blob at a path. */
export interface BlobOrigin extends GitOrigin {
  path: string;
}

const NULL_SHA = /^0+$/;
const SUBMODULE_MODE = '160000';

/** Runs git and collects its stdout; a non-zero exit is an error carrying git's own message. */
export function gitOutput(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else {
        const command = args.find((arg, i) => !arg.startsWith('-') && args[i - 1] !== '-c') ?? 'command';
        const reason = Buffer.concat(err).toString('utf8').trim().split('\n')[0] ?? '';
        reject(new Error(`git ${command} failed: ${reason.replace(/^(fatal|error): /, '')}`));
      }
    });
  });
}

/** Refuses, in one line, a directory that is not in a git repository. */
export async function assertGitRepo(dir: string): Promise<void> {
  try {
    await gitOutput(dir, ['rev-parse', '--git-dir']);
  } catch {
    throw new Error('not a git repository');
  }
}

/**
 * Every blob reachable from every ref, with the commit that introduced it. One `git log --all`
 * lists, per commit, the blobs its diff adds (root commits list their whole tree; `-m` diffs
 * merges against each parent), so walking it newest to oldest and keeping the last sighting gives
 * each blob's earliest commit, author date and path.
 */
export async function listHistoryBlobs(repo: string): Promise<Map<string, BlobOrigin>> {
  const log = await gitOutput(repo, [
    '-c',
    'core.quotePath=false',
    'log',
    '--all',
    '-m',
    '--raw',
    '--no-abbrev',
    '--no-renames',
    '--no-color',
    '-z',
    '--format=%x01%H %aI',
  ]);
  const blobs = new Map<string, BlobOrigin>();
  let commit = '';
  let authorDate = '';
  // After a `:...` record the next token is its path: `null` when that path is not wanted.
  let pathOf: string | null | undefined;
  for (const raw of log.split('\0')) {
    const token = raw.startsWith('\n') ? raw.slice(1) : raw;
    if (pathOf !== undefined) {
      if (pathOf !== null) blobs.set(pathOf, { commit, authorDate, path: token });
      pathOf = undefined;
    } else if (token.startsWith('\x01')) {
      const space = token.indexOf(' ');
      commit = token.slice(1, space);
      authorDate = token.slice(space + 1);
    } else if (token.startsWith(':')) {
      // :oldmode newmode oldsha newsha status
      const [, newMode, , newSha] = token.slice(1).split(' ');
      pathOf = newSha && !NULL_SHA.test(newSha) && newMode !== SUBMODULE_MODE ? newSha : null;
    }
  }
  return blobs;
}

export interface BlobReader {
  /** Called for each piece of a blob's content, in order. */
  onPiece(sha: string, piece: Buffer): void;
  /** Called once a blob's content is complete. */
  onBlobEnd(sha: string): void;
}

/**
 * Streams the contents of `shas` through one `git cat-file --batch` process: each blob is read
 * exactly once, in pieces, without a process per blob.
 */
export function readBlobs(repo: string, shas: readonly string[], reader: BlobReader): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdin.end(shas.length > 0 ? `${shas.join('\n')}\n` : '');

    let header = Buffer.alloc(0);
    let current: string | undefined;
    let remaining = 0;
    // After a blob's bytes git writes one newline.
    let skipNewline = false;
    child.stdout.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        if (skipNewline) {
          skipNewline = false;
          at++;
          continue;
        }
        if (current !== undefined) {
          const take = Math.min(remaining, chunk.length - at);
          if (take > 0) reader.onPiece(current, chunk.subarray(at, at + take));
          at += take;
          remaining -= take;
          if (remaining === 0) {
            reader.onBlobEnd(current);
            current = undefined;
            skipNewline = true;
          }
          continue;
        }
        const newline = chunk.indexOf(10, at);
        if (newline === -1) {
          header = Buffer.concat([header, chunk.subarray(at)]);
          break;
        }
        const line = Buffer.concat([header, chunk.subarray(at, newline)]).toString('latin1');
        header = Buffer.alloc(0);
        at = newline + 1;
        const [sha, type, size] = line.split(' ');
        if (type === 'missing' || !sha || size === undefined) continue;
        current = sha;
        remaining = Number(size);
        if (remaining === 0) {
          reader.onBlobEnd(sha);
          current = undefined;
          skipNewline = true;
        }
      }
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`git cat-file failed: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
  });
}
