import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { GatewayError } from '../../domain/errors.js';
import { createKyselyStore, migrateToLatest } from '../kysely-store.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { createPostgresUsageInsert } from './postgres-usage-insert.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Postgres hands back `bigint` (and `sum(bigint)`, which is `numeric`) as strings to keep 64-bit
 * precision. Every such value keywarden stores is an integer below 2^53 (ms timestamps, token
 * counts, nano-USD), so this one parser, per pool, turns them into numbers for every query.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PostgresStoreOptions {
  /** Connections held open at most. */
  poolSize?: number;
  /** Run pending migrations on open (`serve`, `init`); `migrate` opens without and runs them itself. */
  migrate?: boolean;
  /** A schema to use instead of the connection's default (tests isolate runs with it). */
  schema?: string;
}

/** Opens the query layer over a pool of its own; exported for the migrate command and tests. */
export function openPostgresKysely(url: string, options: PostgresStoreOptions = {}): Kysely<Database> {
  return kyselyOver(openPool(url, options));
}

const kyselyOver = (pool: pg.Pool) => new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

function openPool(url: string, options: PostgresStoreOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    types,
    ...(options.schema && { options: `-c search_path=${options.schema}` }),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** The scale-out store: the same query layer and migrations as SQLite, over a Postgres pool. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  // One pool for Kysely and the usage batch statement (which Kysely cannot run as a prepared one).
  const pool = openPool(url, options);
  const db = kyselyOver(pool);
  try {
    if (options.migrate ?? true) await migrateToLatest(db, options.schema);
    else await db.selectFrom('meta').select('name').limit(1).execute();
  } catch (error) {
    await db.destroy();
    throw unreachable(error) ?? error;
  }
  return reportUnreachable({
    ...createKyselyStore(db, 'postgres'),
    insertUsage: createPostgresUsageInsert(pool),
  });
}

/** SQLSTATE classes and socket errors that mean "the database is not there", not "the query is wrong". */
function unreachable(error: unknown): GatewayError | undefined {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const lost =
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE'].includes(code) ||
    /^(08|57P)/.test(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    );
  return lost
    ? new GatewayError('store_unavailable', 'the database is unreachable; try again shortly')
    : undefined;
}

/** Every store call that fails for want of a connection becomes `store_unavailable` (503). */
function reportUnreachable(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          throw unreachable(error) ?? error;
        }
      };
    },
  });
}
