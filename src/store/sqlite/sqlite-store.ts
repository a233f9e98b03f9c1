import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createKyselyStore, migrateToLatest } from '../kysely-store.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';

/** The embedded store: one SQLite file in the data dir, WAL mode so readers never block the writer. */
export async function openSqliteStore(file: string): Promise<Store> {
  const db = openSqliteKysely(file);
  await migrateToLatest(db);
  return createKyselyStore(db, 'sqlite');
}

/** The connection alone, without migrating; `keywarden migrate` runs the migrations itself. */
export function openSqliteKysely(file: string): Kysely<Database> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}
