import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/keywarden.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The spawned command runs the compiled dist/: `npm test` builds it first (pretest). */
export function assertBuilt(): void {
  if (!existsSync(BUILT)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before these tests');
  }
}

/** The parent's environment without keywarden settings, so a developer's shell cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      name.startsWith('KEYWARDEN_') ||
      name === 'DATABASE_URL' ||
      name === 'REDIS_URL'
    ) {
      continue;
    }
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `node bin/keywarden.js ...`. */
export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout + stderr match, rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<Finished>;
}

export function spawnKeywarden(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  const exited = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
      notify();
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout + stderr)) return done(resolve);
        if (child.exitCode !== null || child.signalCode !== null) {
          done(() => reject(new Error(`keywarden exited before ${pattern}:\n${stdout}\n${stderr}`)));
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out waiting for ${pattern}:\n${stdout}\n${stderr}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  return { child, stdout: () => stdout, stderr: () => stderr, waitFor, exited };
}

/** Runs one command to completion, feeding `stdin` if given. */
export async function runKeywarden(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<Finished> {
  const spawned = spawnKeywarden(args, options);
  spawned.child.stdin?.end(options.stdin ?? '');
  return spawned.exited;
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}
