import type { Kysely } from 'kysely';

/**
 * Key lifecycle: rotation with a grace secret, rotation policies, delegated child keys, and
 * several weighted credentials per provider with their health. Columns only, schema builder only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('keys').addColumn('previous_secret_hash', 'text').execute();
  await db.schema.alterTable('keys').addColumn('previous_valid_until', 'bigint').execute();
  await db.schema.alterTable('keys').addColumn('rotated_at', 'bigint').execute();
  await db.schema.alterTable('keys').addColumn('rotation_policy', 'text').execute();
  await db.schema.alterTable('keys').addColumn('parent_id', 'text').execute();
  await db.schema
    .alterTable('keys')
    .addColumn('can_delegate', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('keys')
    .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('keys_previous_secret').on('keys').column('previous_secret_hash').execute();
  await db.schema.createIndex('keys_parent').on('keys').column('parent_id').execute();

  await db.schema.alterTable('projects').addColumn('rotation_policy', 'text').execute();

  await db.schema
    .alterTable('credentials')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('credentials')
    .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable('credentials')
    .addColumn('health', 'text', (c) => c.notNull().defaultTo('ok'))
    .execute();
  await db.schema.alterTable('credentials').addColumn('health_changed_at', 'bigint').execute();
  await db.schema.alterTable('credentials').addColumn('last_error', 'text').execute();
}
