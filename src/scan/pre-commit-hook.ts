import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { gitOutput } from './git-walker.js';

const MARKER = '# keywarden pre-commit hook';

export class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

/** `'a b'` → `'a b'` quoted for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes a git pre-commit hook (into `core.hooksPath` when set) that runs `command` — a
 * `keywarden scan --staged` — so a commit adding a secret is stopped. An existing hook that
 * keywarden did not write is kept unless `force`.
 */
export async function installPreCommitHook(
  repo: string,
  command: readonly string[],
  options: { force?: boolean } = {},
): Promise<string> {
  let hooksDir: string;
  try {
    hooksDir = (await gitOutput(repo, ['rev-parse', '--git-path', 'hooks'])).trim();
  } catch {
    throw new HookError(`${repo} is not inside a git repository`);
  }
  if (!isAbsolute(hooksDir)) hooksDir = join(repo, hooksDir);
  const hook = join(hooksDir, 'pre-commit');
  const existing = await readFile(hook, 'utf8').catch(() => undefined);
  if (existing !== undefined && !existing.includes(MARKER) && !options.force) {
    throw new HookError(`${hook} already exists and was not written by keywarden; use --force to replace it`);
  }
  const script = [
    '#!/bin/sh',
    MARKER,
    '# Scans only the changes staged for this commit; a secret found stops the commit.',
    '# To commit anyway after checking: git commit --no-verify',
    `exec ${command.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
  await mkdir(hooksDir, { recursive: true });
  await writeFile(hook, script);
  await chmod(hook, 0o755);
  return hook;
}
