import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createKyselyStore, migrateToLatest } from '../kysely-store.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { createSqliteUsageInsert } from './sqlite-usage-insert.js';

/** The embedded store: one SQLite file in the data dir, WAL mode so readers never block the writer. */
export async function openSqliteStore(file: string): Promise<Store> {
  const database = openDatabase(file);
  const db = kyselyOver(database);
  await migrateToLatest(db);
  return { ...createKyselyStore(db, 'sqlite'), insertUsage: createSqliteUsageInsert(database, db) };
}

/** The connection alone, without migrating; `keywarden migrate` runs the migrations itself. */
export function openSqliteKysely(file: string): Kysely<Database> {
  return kyselyOver(openDatabase(file));
}

function openDatabase(file: string): BetterSqlite3.Database {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return database;
}

function kyselyOver(database: BetterSqlite3.Database): Kysely<Database> {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}
