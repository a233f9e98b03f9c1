import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

/**
 * Vitest global setup: finds the PostgreSQL and Redis the integration suites run against, gives
 * this run its own database-name prefix and Redis key prefix, and removes both afterwards. A service
 * that does not answer is reported and its suites skip; with KEYWARDEN_REQUIRE_SERVICES=1 (CI) a
 * missing service fails the run instead. Temporary files (data dirs with their master keys, SQLite
 * files, the browser's profile) go into one directory of this run's, removed at the end too.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const required = process.env.KEYWARDEN_REQUIRE_SERVICES === '1';
  const run = randomBytes(4).toString('hex');
  const postgresUrl =
    process.env.KEYWARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.KEYWARDEN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databasePrefix = `kw_test_${run}`;
  const redisPrefix = `kwtest:${run}:`;

  const postgres = await probe('PostgreSQL', postgresUrl, required, async () => {
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
    await client.connect();
    await client.end();
  });
  const redis = await probe('Redis', redisUrl, required, async () => {
    const client = new Redis(redisUrl, {
      lazyConnect: true,
      connectTimeout: 2_000,
      retryStrategy: () => null,
    });
    await client.connect();
    await client.quit();
  });

  const previousTmpdir = process.env.TMPDIR;
  const runTmpdir = mkdtempSync(join(tmpdir(), 'keywarden-tests-'));
  // The test workers (and what they spawn) are started after this and inherit it.
  process.env.TMPDIR = runTmpdir;

  project.provide('postgresUrl', postgres ? postgresUrl : null);
  project.provide('postgresDatabasePrefix', databasePrefix);
  project.provide('redisUrl', redis ? redisUrl : null);
  project.provide('redisPrefix', redisPrefix);

  return async () => {
    if (postgres) await dropDatabases(postgresUrl, databasePrefix);
    if (redis) await deleteKeys(redisUrl, redisPrefix);
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmpdir;
    rmSync(runTmpdir, { recursive: true, force: true });
  };
}

async function probe(
  name: string,
  url: string,
  required: boolean,
  connect: () => Promise<void>,
): Promise<boolean> {
  try {
    await connect();
    return true;
  } catch (error) {
    const where = new URL(url).host;
    const why = (error as Error).message;
    if (required) throw new Error(`${name} is required (KEYWARDEN_REQUIRE_SERVICES=1) but ${where}: ${why}`);
    console.warn(
      `\nkeywarden tests: SKIPPING the ${name} suites: nothing usable at ${where} (${why}). ` +
        `Set KEYWARDEN_TEST_${name === 'Redis' ? 'REDIS' : 'POSTGRES'}_URL, or run .ci/run, to include them.\n`,
    );
    return false;
  }
}

async function dropDatabases(url: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${prefix}%`],
    );
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await client.end();
  }
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    postgresDatabasePrefix: string;
    redisUrl: string | null;
    redisPrefix: string;
  }
}
