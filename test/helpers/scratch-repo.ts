import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Test helper: a scratch directory, optionally a git repository, with files written into it. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'keywarden-scan-'));
}

export function write(root: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

export function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: root,
    },
  });
}

export function gitRepo(): string {
  const root = scratchDir();
  git(root, 'init', '-q', '-b', 'main');
  return root;
}

/** Commits everything in the work tree with `message` at a fixed author date. */
export function commitAll(root: string, message: string, date = '2025-01-02T03:04:05Z'): string {
  git(root, 'add', '-A');
  git(root, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', message, '--date', date);
  return git(root, 'rev-parse', 'HEAD').trim();
}
