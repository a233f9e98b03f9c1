import type { Kysely } from 'kysely';

/**
 * Usage rollups (minute, hour and day buckets, kept as events are written), alerts with their
 * webhook delivery log, and what the watcher has seen per key (IP networks, models).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_rollups')
    .addColumn('bucket_ms', 'bigint', (c) => c.notNull())
    .addColumn('bucket_start', 'bigint', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('provider_name', 'text', (c) => c.notNull())
    // '' stands for "no model" so the column can be part of the primary key.
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'bigint', (c) => c.notNull())
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cached_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cost_nusd', 'bigint', (c) => c.notNull())
    .addColumn('unpriced', 'bigint', (c) => c.notNull())
    .addColumn('latency_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_rollups_pk', [
      'bucket_ms',
      'bucket_start',
      'key_id',
      'provider_id',
      'model',
      'endpoint',
    ])
    .execute();
  await db.schema
    .createIndex('usage_rollups_key')
    .on('usage_rollups')
    .columns(['bucket_ms', 'key_id', 'bucket_start'])
    .execute();
  await db.schema
    .createIndex('usage_rollups_project')
    .on('usage_rollups')
    .columns(['bucket_ms', 'project_id', 'bucket_start'])
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text')
    .addColumn('project_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    .execute();
  await db.schema.createIndex('alerts_ts').on('alerts').column('ts').execute();
  await db.schema.createIndex('alerts_dedupe').on('alerts').columns(['dedupe_key', 'ts']).execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('alert_deliveries_alert').on('alert_deliveries').column('alert_id').execute();

  await db.schema
    .createTable('key_sightings')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('key_sightings_pk', ['key_id', 'kind', 'value'])
    .execute();
}
