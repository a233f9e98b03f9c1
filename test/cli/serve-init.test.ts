import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oneErrorLine } from './cli-harness.js';
import { assertBuilt, cleanEnv, freePort, runKeywarden, type Spawned, spawnKeywarden } from './spawn-cli.js';

const ADMIN_TOKEN = /kwa_[0-9A-Za-z]{38}/;

let dirs: string[] = [];
let running: Spawned[] = [];

beforeAll(assertBuilt);

afterEach(async () => {
  for (const spawned of running) {
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
  }
  await Promise.all(running.map((spawned) => spawned.exited.catch(() => undefined)));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
  running = [];
});

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keywarden-cli-'));
  dirs.push(dir);
  return join(dir, 'data');
}

describe('keywarden init (spawned)', () => {
  it('prints the owner admin token as JSON, then refuses to initialise the dir again', async () => {
    const dataDir = await tempDataDir();
    const first = await runKeywarden(['init', '--json', '--data-dir', dataDir]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const printed = JSON.parse(first.stdout) as { admin_token: string; data_dir: string };
    expect(printed.admin_token).toMatch(/^kwa_[0-9A-Za-z]{38}$/);
    expect(printed.data_dir).toBe(dataDir);

    const second = await runKeywarden(['init', '--json', '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(oneErrorLine(second.stderr)).toMatch(/already/i);
    expect(second.stdout).not.toMatch(ADMIN_TOKEN);
  });

  it('reads the data dir from KEYWARDEN_DATA_DIR', async () => {
    const dataDir = await tempDataDir();
    const run = await runKeywarden(['init', '--json'], { env: cleanEnv({ KEYWARDEN_DATA_DIR: dataDir }) });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ data_dir: dataDir });
  });
});

describe('keywarden serve (spawned)', () => {
  it('prints the admin token on the first run only, keeps state, and exits 0 on SIGTERM', async () => {
    const dataDir = await tempDataDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    const first = serve(['--port', String(port), '--data-dir', dataDir]);
    await first.waitFor(ADMIN_TOKEN);
    const tokens = [...(first.stdout() + first.stderr()).matchAll(new RegExp(ADMIN_TOKEN, 'g'))].map(
      (match) => match[0],
    );
    expect(tokens).toHaveLength(1);
    const token = tokens[0] ?? '';
    await untilServing(first, url, token);

    const created = await runKeywarden(['projects', 'create', '--name', 'web', '--url', url], {
      env: cleanEnv({ KEYWARDEN_ADMIN_TOKEN: token }),
    });
    expect(created.code).toBe(0);

    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const second = serve(['--port', String(port), '--data-dir', dataDir]);
    await untilServing(second, url, token);
    const listed = await runKeywarden(['projects', 'list', '--json', '--url', url], {
      env: cleanEnv({ KEYWARDEN_ADMIN_TOKEN: token }),
    });
    expect(JSON.parse(listed.stdout)).toMatchObject({ data: [expect.objectContaining({ name: 'web' })] });

    second.child.kill('SIGTERM');
    const stopped = await second.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout + stopped.stderr).not.toMatch(ADMIN_TOKEN);
  });

  it('takes --host and reports a bad --port as one line, exit 1', async () => {
    const dataDir = await tempDataDir();
    const run = await runKeywarden([
      'serve',
      '--port',
      '99999',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
    ]);
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toMatch(/port/i);
  });
});

function serve(args: string[]): Spawned {
  const spawned = spawnKeywarden(['serve', ...args]);
  running.push(spawned);
  return spawned;
}

/** Polls the admin API until it answers this token with 200. */
async function untilServing(spawned: Spawned, url: string, token: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawned.child.exitCode !== null) {
      throw new Error(`keywarden serve exited with ${spawned.child.exitCode}:\n${spawned.stderr()}`);
    }
    try {
      const response = await fetch(`${url}/admin/v1/projects`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`keywarden at ${url} did not start serving`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
