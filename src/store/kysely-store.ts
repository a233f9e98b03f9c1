import { type Expression, type Kysely, Migrator, type SqlBool, sql } from 'kysely';
import {
  fromAuditEntry,
  isTransientConflict,
  isUniqueViolation,
  parseAuditHead,
  toAuditEntry,
} from './audit-rows.js';
import { createKyselyWatchStore } from './kysely-watch-store.js';
import { migrationProvider } from './migrations/index.js';
import {
  fromAdminToken,
  fromCredential,
  fromKey,
  fromProject,
  fromProvider,
  keyPatchToRow,
  toAdminToken,
  toCredential,
  toKey,
  toProject,
  toProvider,
} from './row-mapping.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';
import { queryUsageFromRollups } from './usage-rollups.js';

const AUDIT_HEAD = 'audit_head';
const AUDIT_APPEND_ATTEMPTS = 5;
/** Where Kysely's Migrator records applied migrations (its default name). */
const MIGRATION_TABLE = 'kysely_migration';

/**
 * Runs every pending migration and returns the names it applied; used by `init`, `serve` and
 * `migrate`. Refuses a database that has a migration this build does not know: it was migrated by
 * a newer keywarden, and running older code against it could corrupt it.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const known = new Set(Object.keys(await migrationProvider.getMigrations()));
  const newer = (await appliedMigrations(db, schema)).filter((name) => !known.has(name));
  if (newer.length > 0) {
    throw new Error(
      `the database schema is newer than this keywarden (unknown migrations: ${newer.join(', ')}); upgrade keywarden`,
    );
  }
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(schema !== undefined && { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Names of the migrations recorded in the database, oldest first; none for an empty database.
 * `schema` (Postgres) names the schema the migration table lives in, when not the default.
 */
export async function appliedMigrations(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  const table = schema === undefined ? MIGRATION_TABLE : `${schema}.${MIGRATION_TABLE}`;
  if (!tables.some((t) => t.name === MIGRATION_TABLE && (schema === undefined || t.schema === schema))) {
    return [];
  }
  const rows = await sql<{ name: string }>`select name from ${sql.table(table)} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** The advisory lock id that serialises first-time initialisation (any fixed number: "kw-in"). */
const INITIALISATION_LOCK = 0x6b772d696e;

/**
 * The Store over Kysely: one query layer for both dialects; only the connection differs. Usage
 * batches are the exception, written by each dialect's own statements (the hottest write there is).
 */
export function createKyselyStore(
  db: Kysely<Database>,
  dialect: Store['dialect'],
): Omit<Store, 'insertUsage'> {
  const byIdOrName = <T extends 'providers' | 'projects'>(table: T, idOrName: string) =>
    db
      .selectFrom(table as 'providers')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`)
      .limit(1);

  return {
    dialect,

    async getMeta(name) {
      const row = await db.selectFrom('meta').select('value').where('name', '=', name).executeTakeFirst();
      return row?.value;
    },
    async lockInitialisation() {
      if (dialect === 'sqlite') return async () => undefined;
      // A session lock lives on one connection: hold a pool connection until the release.
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let acquired = () => {};
      const locked = new Promise<void>((resolve) => {
        acquired = resolve;
      });
      const held = db.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(${INITIALISATION_LOCK})`.execute(connection);
        acquired();
        await released;
        await sql`select pg_advisory_unlock(${INITIALISATION_LOCK})`.execute(connection);
      });
      await Promise.race([locked, held]);
      return async () => {
        release();
        await held;
      };
    },
    async setMeta(name, value) {
      await db
        .insertInto('meta')
        .values({ name, value })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
        .execute();
    },

    async insertProvider(provider, credential) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('providers').values(fromProvider(provider)).execute();
        if (credential) await trx.insertInto('credentials').values(fromCredential(credential)).execute();
      });
    },
    async listProviders() {
      const rows = await db.selectFrom('providers').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toProvider);
    },
    async findProvider(idOrName) {
      const row = await byIdOrName('providers', idOrName).executeTakeFirst();
      return row ? toProvider(row) : undefined;
    },
    async deleteProvider(id) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('credentials').where('provider_id', '=', id).execute();
        const result = await trx.deleteFrom('providers').where('id', '=', id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },
    async insertCredential(credential) {
      await db.insertInto('credentials').values(fromCredential(credential)).execute();
    },
    async listCredentials(providerId) {
      const rows = await db
        .selectFrom('credentials')
        .selectAll()
        .where('provider_id', '=', providerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toCredential);
    },
    async setCredentialStatus(id, status) {
      const result = await db
        .updateTable('credentials')
        .set({ status })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async setCredentialHealth(id, health) {
      const result = await db
        .updateTable('credentials')
        .set({
          health: health.health,
          health_changed_at: health.healthChangedAt,
          last_error: health.lastError,
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async insertProject(project) {
      await db.insertInto('projects').values(fromProject(project)).execute();
    },
    async listProjects() {
      const rows = await db.selectFrom('projects').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toProject);
    },
    async findProject(idOrName) {
      const row = await byIdOrName('projects', idOrName).executeTakeFirst();
      return row ? toProject(row as unknown as Database['projects']) : undefined;
    },
    async updateProject(id, patch) {
      if (patch.limits !== undefined) {
        await db
          .updateTable('projects')
          .set({ limits: JSON.stringify(patch.limits) })
          .where('id', '=', id)
          .execute();
      }
      if (patch.rotationPolicy !== undefined) {
        const policy = patch.rotationPolicy === null ? null : JSON.stringify(patch.rotationPolicy);
        await db.updateTable('projects').set({ rotation_policy: policy }).where('id', '=', id).execute();
      }
      const row = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toProject(row) : undefined;
    },

    async insertKey(key) {
      await db.insertInto('keys').values(fromKey(key)).execute();
    },
    async listKeys(filter) {
      let query = db.selectFrom('keys').selectAll().orderBy('created_at').orderBy('id');
      if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
      if (filter.parentId) query = query.where('parent_id', '=', filter.parentId);
      return (await query.execute()).map(toKey);
    },
    async getKey(id) {
      const row = await db.selectFrom('keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toKey(row) : undefined;
    },
    async findKeyByHash(secretHash) {
      const row = await db
        .selectFrom('keys')
        .selectAll()
        .where((eb) =>
          eb.or([eb('secret_hash', '=', secretHash), eb('previous_secret_hash', '=', secretHash)]),
        )
        .orderBy(sql`case when secret_hash = ${secretHash} then 0 else 1 end`)
        .limit(1)
        .executeTakeFirst();
      return row ? toKey(row) : undefined;
    },
    async findKeyByName(projectId, name) {
      const row = await db
        .selectFrom('keys')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? toKey(row) : undefined;
    },
    async updateKey(id, patch) {
      const row = keyPatchToRow(patch);
      if (Object.keys(row).length > 0) await db.updateTable('keys').set(row).where('id', '=', id).execute();
      const updated = await db.selectFrom('keys').selectAll().where('id', '=', id).executeTakeFirst();
      return updated ? toKey(updated) : undefined;
    },
    async insertAdminToken(token) {
      await db.insertInto('admin_tokens').values(fromAdminToken(token)).execute();
    },
    async listAdminTokens() {
      const rows = await db
        .selectFrom('admin_tokens')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toAdminToken);
    },
    async findAdminTokenByHash(secretHash) {
      const row = await db
        .selectFrom('admin_tokens')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return row ? toAdminToken(row) : undefined;
    },
    async revokeAdminToken(id, at) {
      await db
        .updateTable('admin_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      const row = await db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAdminToken(row) : undefined;
    },

    async queryUsage(filter, groupBy) {
      return queryUsageFromRollups(db, filter, groupBy);
    },

    ...createKyselyWatchStore(db),
    async appendAudit(build) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute(async (trx) => {
            if (dialect === 'postgres') {
              // With no head row yet there is nothing to lock: concurrent first appends raced (duplicate
              // seqs, deadlocks Postgres takes a second to notice) until a pool wait gave up. A
              // placeholder row gives every append one row to queue on.
              await trx
                .insertInto('meta')
                .values({ name: AUDIT_HEAD, value: '' })
                .onConflict((oc) => oc.column('name').doNothing())
                .execute();
            }
            const headRow = await trx
              .selectFrom('meta')
              .select('value')
              .where('name', '=', AUDIT_HEAD)
              .$if(dialect === 'postgres', (q) => q.forUpdate())
              .executeTakeFirst();
            let head = parseAuditHead(headRow?.value);
            if (!head) {
              const last = await trx
                .selectFrom('audit_log')
                .select(['seq', 'hash'])
                .orderBy('seq', 'desc')
                .limit(1)
                .executeTakeFirst();
              head = last ? { seq: Number(last.seq), hash: last.hash } : undefined;
            }
            const entry = build(head);
            await trx.insertInto('audit_log').values(fromAuditEntry(entry)).execute();
            const value = JSON.stringify({ seq: entry.seq, hash: entry.hash });
            await trx
              .insertInto('meta')
              .values({ name: AUDIT_HEAD, value })
              .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
              .execute();
            return entry;
          });
        } catch (error) {
          const retryable = isUniqueViolation(error) || isTransientConflict(error);
          if (attempt >= AUDIT_APPEND_ATTEMPTS || !retryable) throw error;
        }
      }
    },
    async listAudit(filter) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where((eb) => {
          const conditions: Expression<SqlBool>[] = [];
          if (filter.afterSeq !== undefined) conditions.push(eb('seq', '>', filter.afterSeq));
          if (filter.actorId !== undefined) conditions.push(eb('actor_id', '=', filter.actorId));
          if (filter.action !== undefined) conditions.push(eb('action', '=', filter.action));
          if (filter.targetId !== undefined) conditions.push(eb('target_id', '=', filter.targetId));
          if (filter.projectIds !== undefined) {
            conditions.push(
              filter.projectIds.length === 0
                ? sql<SqlBool>`1 = 0`
                : eb('project_id', 'in', filter.projectIds),
            );
          }
          if (filter.from !== undefined) conditions.push(eb('ts', '>=', filter.from));
          if (filter.to !== undefined) conditions.push(eb('ts', '<', filter.to));
          return eb.and(conditions);
        })
        .orderBy('seq')
        .limit(filter.limit)
        .execute();
      return rows.map(toAuditEntry);
    },
    async auditHead() {
      const row = await db
        .selectFrom('meta')
        .select('value')
        .where('name', '=', AUDIT_HEAD)
        .executeTakeFirst();
      return parseAuditHead(row?.value);
    },

    async close() {
      await db.destroy();
    },
  };
}
