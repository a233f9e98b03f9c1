import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresUrl } from '../../test/helpers/services.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { MASTER_KEY_FILE } from '../secrets/master-key.js';
import { type OpenedDataDir, openDataDir } from './open-data-dir.js';

let root: string;
let dataDir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'keywarden-dir-'));
  dataDir = join(root, 'data');
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const keyFile = () => join(dataDir, MASTER_KEY_FILE);
const open = (env: NodeJS.ProcessEnv = {}, mode: 'open-or-init' | 'init-only' = 'open-or-init') =>
  openDataDir(loadConfig({ dataDir }, env), mode);

/** Initialises the data dir the way `init` does: open, then mark initialised. */
async function initialise(env: NodeJS.ProcessEnv = {}): Promise<OpenedDataDir> {
  const opened = await open(env, 'init-only');
  await opened.markInitialised?.();
  return opened;
}

async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('opening a data dir', () => {
  it('initialises an empty dir with a key file of mode 0600 and a database', async () => {
    const opened = await open();
    expect(opened.markInitialised).toBeTypeOf('function');
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'keywarden.db'))).toBe(true);
    await opened.markInitialised?.();
    await opened.store.close();
  });

  it('reopens an initialised dir with the same master key', async () => {
    const first = await initialise();
    const sealed = first.envelope.seal('sk-live', 'cred_1');
    await first.store.close();

    const again = await open();
    expect(again.markInitialised).toBeUndefined();
    expect(again.envelope.open(sealed, 'cred_1')).toBe('sk-live');
    await again.store.close();
  });

  it('creates no key file when KEYWARDEN_MASTER_KEY is set, and needs that key afterwards', async () => {
    const env = { KEYWARDEN_MASTER_KEY: randomBytes(32).toString('base64') };
    const first = await initialise(env);
    await first.store.close();
    expect(existsSync(keyFile())).toBe(false);

    const again = await open(env);
    expect(again.markInitialised).toBeUndefined();
    await again.store.close();
    expect((await refusal(open())).message).toMatch(/master key is missing/);
    expect(existsSync(keyFile())).toBe(false);
  });

  it('refuses a wrong KEYWARDEN_MASTER_KEY on an initialised dir', async () => {
    await (await initialise()).store.close();
    const error = await refusal(open({ KEYWARDEN_MASTER_KEY: randomBytes(32).toString('base64') }));
    expect(error.message).toContain('does not match');
  });

  it('refuses an initialised dir whose key file is gone, and does not create a new one', async () => {
    await (await initialise()).store.close();
    rmSync(keyFile());
    const error = await refusal(open());
    expect(error.message).toMatch(/master key is missing/);
    expect(existsSync(keyFile())).toBe(false);
  });

  it('refuses a key file readable by others', async () => {
    await (await initialise()).store.close();
    chmodSync(keyFile(), 0o644);
    expect((await refusal(open())).message).toContain('chmod 600');
  });

  it('refuses init-only on an initialised dir and leaves its key untouched', async () => {
    const first = await initialise();
    const sealed = first.envelope.seal('sk-live', 'cred_1');
    await first.store.close();

    expect((await refusal(open({}, 'init-only'))).message).toMatch(/already initialised/);
    const again = await open();
    expect(again.envelope.open(sealed, 'cred_1')).toBe('sk-live');
    await again.store.close();
  });

  it('initialises again, with the same key file, when the first initialisation stopped before marking', async () => {
    const first = await open({}, 'init-only');
    const sealed = first.envelope.seal('sk-live', 'cred_1');
    await first.store.close();

    const again = await open({}, 'init-only');
    expect(again.markInitialised).toBeTypeOf('function');
    expect(again.envelope.open(sealed, 'cred_1')).toBe('sk-live');
    await again.store.close();
  });

  it.skipIf(!postgresUrl)(
    'keeps the data in Postgres when DATABASE_URL is set, and checks the master key against it',
    async () => {
      const DATABASE_URL = await createTestDatabase();
      const masterKey = randomBytes(32).toString('base64');
      const first = await initialise({ DATABASE_URL, KEYWARDEN_MASTER_KEY: masterKey });
      expect(first.store.dialect).toBe('postgres');
      const sealed = first.envelope.seal('sk-live', 'cred_1');
      await first.store.close();
      expect(existsSync(join(dataDir, 'keywarden.db'))).toBe(false);

      const again = await open({ DATABASE_URL, KEYWARDEN_MASTER_KEY: masterKey });
      expect(again.markInitialised).toBeUndefined();
      expect(again.envelope.open(sealed, 'cred_1')).toBe('sk-live');
      await again.store.close();

      const other = randomBytes(32).toString('base64');
      expect((await refusal(open({ DATABASE_URL, KEYWARDEN_MASTER_KEY: other }))).message).toMatch(
        /does not match/,
      );
    },
  );

  it.skipIf(!postgresUrl)(
    'lets exactly one of several instances started together initialise an empty shared database',
    async () => {
      const DATABASE_URL = await createTestDatabase();
      const masterKey = randomBytes(32).toString('base64');
      const minted: number[] = [];
      // Each instance opens, and the one told to initialise mints its owner token (a pause stands
      // for the rest of start-up) before it marks the database initialised.
      const start = async (instance: number) => {
        const dir = join(root, `instance-${instance}`);
        const opened = await openDataDir(
          loadConfig({ dataDir: dir }, { DATABASE_URL, KEYWARDEN_MASTER_KEY: masterKey }),
          'open-or-init',
        );
        if (opened.markInitialised) {
          minted.push(instance);
          await new Promise((resolve) => setTimeout(resolve, 50));
          await opened.markInitialised();
        }
        return opened;
      };
      const instances = await Promise.all([1, 2, 3, 4].map(start));
      expect(minted).toHaveLength(1);
      // Every instance works with the same key: what one seals, another opens.
      const sealed = instances[0]?.envelope.seal('sk-live', 'cred_1') ?? '';
      for (const instance of instances) expect(instance.envelope.open(sealed, 'cred_1')).toBe('sk-live');
      await Promise.all(instances.map((instance) => instance.store.close()));
    },
  );
});
