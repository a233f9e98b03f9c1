import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/load-config.js';
import { createEnvelope, type Envelope } from '../lib/crypto-envelope.js';
import { createMasterKeyFile, readMasterKey } from '../secrets/master-key.js';
import { migrateToLatest } from '../store/kysely-store.js';
import { openSqliteKysely, openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';

export const DATABASE_FILE = 'keywarden.db';
const CHECK_META = 'master_key_check';
const CHECK_PLAINTEXT = 'keywarden master key check v1';

export interface OpenedDataDir {
  store: Store;
  /** Seals and opens provider credentials. */
  envelope: Envelope;
  /**
   * Set when the data dir was not initialised yet: the caller mints the first owner token, then
   * calls this. Marking comes last so a crash in between leaves a data dir that initialises again.
   * On a shared Postgres, other instances starting meanwhile wait until this has been called.
   */
  markInitialised: (() => Promise<void>) | undefined;
}

/**
 * Opens the store and proves the master key belongs to it. An uninitialised data dir is
 * initialised when `mode` allows it (master key file created unless KEYWARDEN_MASTER_KEY is set);
 * an initialised one with a missing or different master key is refused, never re-created.
 */
export async function openDataDir(
  config: Config,
  mode: 'open-or-init' | 'init-only',
): Promise<OpenedDataDir> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore(config);
  let unlock: (() => Promise<void>) | undefined;
  try {
    let check = await store.getMeta(CHECK_META);
    if (check === undefined) {
      // Instances started together on an empty shared database initialise it one at a time: the
      // first mints the owner token and marks the database; the others wait, then find it marked.
      unlock = await store.lockInitialisation();
      check = await store.getMeta(CHECK_META);
    }
    if (check !== undefined) {
      await unlock?.();
      unlock = undefined;
      if (mode === 'init-only') {
        throw new ConfigError(`${config.dataDir} is already initialised; refusing to overwrite it`);
      }
      const source = readMasterKey(config.dataDir, config.masterKey);
      if (!source) {
        throw new ConfigError(
          `${config.dataDir} is initialised but its master key is missing: set KEYWARDEN_MASTER_KEY or restore ${join(config.dataDir, 'master.key')}`,
        );
      }
      const envelope = createEnvelope(source.key, 'provider-credentials');
      if (!opens(envelope, check)) {
        throw new ConfigError(
          `the master key from ${source.origin} does not match the database in ${config.dataDir}`,
        );
      }
      return { store, envelope, markInitialised: undefined };
    }
    const source = readMasterKey(config.dataDir, config.masterKey) ?? createMasterKeyFile(config.dataDir);
    const envelope = createEnvelope(source.key, 'provider-credentials');
    const markInitialised = async () => {
      await store.setMeta(CHECK_META, envelope.seal(CHECK_PLAINTEXT, CHECK_META));
      await unlock?.();
    };
    return { store, envelope, markInitialised };
  } catch (error) {
    await unlock?.().catch(() => undefined);
    await store.close();
    throw error;
  }
}

/** Postgres when DATABASE_URL is set (the master key check lives in its meta table), else SQLite in the data dir. */
export async function openStore(config: Config, options: { migrate?: boolean } = {}): Promise<Store> {
  if (!config.databaseUrl) return openSqliteStore(join(config.dataDir, DATABASE_FILE));
  // Loaded on demand: an embedded gateway never pays for the Postgres driver.
  const { openPostgresStore } = await import('../store/postgres/postgres-store.js');
  return openPostgresStore(config.databaseUrl, options);
}

/** Applies pending migrations to the configured database; returns the names applied (none: up to date). */
export async function migrateDatabase(config: Config): Promise<string[]> {
  const db = config.databaseUrl
    ? (await import('../store/postgres/postgres-store.js')).openPostgresKysely(config.databaseUrl)
    : openSqliteKysely(join(config.dataDir, DATABASE_FILE));
  try {
    return await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}

function opens(envelope: Envelope, check: string): boolean {
  try {
    return envelope.open(check, CHECK_META) === CHECK_PLAINTEXT;
  } catch {
    return false;
  }
}
