import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';

/** The PostgreSQL server the integration suites use, or null when it is not reachable (suites skip). */
export const postgresUrl: string | null = inject('postgresUrl');
/** The Redis server the integration suites use, or null when it is not reachable (suites skip). */
export const redisUrl: string | null = inject('redisUrl');

let databases = 0;
let prefixes = 0;

/** A new, empty database of this run (dropped by the global teardown); returns its URL. */
export async function createTestDatabase(): Promise<string> {
  if (!postgresUrl) throw new Error('PostgreSQL is not available');
  const name = `${inject('postgresDatabasePrefix')}_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A Redis key prefix no other test or run uses. */
export function testRedisPrefix(): string {
  return `${inject('redisPrefix')}${process.pid}:${++prefixes}:`;
}

/** A plain Redis client for the test itself (e.g. to inspect or break keys). */
export function testRedisClient(): Redis {
  if (!redisUrl) throw new Error('Redis is not available');
  return new Redis(redisUrl);
}
