import type pg from 'pg';
import type { UsageEvent } from '../../domain/usage.js';
import { fromUsage } from '../row-mapping.js';
import type { UsageEventsTable, UsageRollupsTable } from '../schema.js';
import { lastUseByKey, ROLLUP_COLUMNS, rollupRows, SUMMED } from '../usage-rollups.js';

/** Each column with the Postgres type its array is cast to (`unnest` needs typed arrays). */
const EVENT_COLUMNS = {
  id: 'text',
  ts: 'bigint',
  request_id: 'text',
  key_id: 'text',
  project_id: 'text',
  provider_id: 'text',
  provider_name: 'text',
  model: 'text',
  endpoint: 'text',
  status: 'integer',
  input_tokens: 'bigint',
  output_tokens: 'bigint',
  cached_tokens: 'bigint',
  cost_nusd: 'bigint',
  latency_ms: 'integer',
  ttfb_ms: 'integer',
  client_ip: 'text',
  streamed: 'integer',
} as const satisfies Record<keyof UsageEventsTable, string>;

const ROLLUP_TYPES = {
  bucket_ms: 'bigint',
  bucket_start: 'bigint',
  key_id: 'text',
  provider_id: 'text',
  model: 'text',
  endpoint: 'text',
  project_id: 'text',
  provider_name: 'text',
  requests: 'bigint',
  errors: 'bigint',
  input_tokens: 'bigint',
  output_tokens: 'bigint',
  cached_tokens: 'bigint',
  cost_nusd: 'bigint',
  unpriced: 'bigint',
  latency_ms: 'bigint',
} as const satisfies Record<keyof UsageRollupsTable, string>;

const eventColumns = Object.keys(EVENT_COLUMNS) as (keyof UsageEventsTable)[];
const rollupColumns = Object.keys(ROLLUP_TYPES) as (keyof UsageRollupsTable)[];
const unnest = (types: readonly string[], first: number) =>
  `unnest(${types.map((type, i) => `$${first + i}::${type}[]`).join(', ')})`;

const firstRollup = eventColumns.length + 1;
const firstKey = firstRollup + rollupColumns.length;

/**
 * The whole batch in one statement: the events, their rollups and the keys' last use go in together
 * (a statement is atomic on its own) in one round trip and one commit, with a fixed text whatever
 * the batch size, because every column travels as one array. Kysely's transaction took four round
 * trips (BEGIN, events, rollups, COMMIT) and the keys a transaction of their own, and every
 * scale-out answer waits for its batch.
 */
const STATEMENT = `WITH events AS (
  INSERT INTO usage_events (${eventColumns.join(', ')})
  SELECT * FROM ${unnest(Object.values(EVENT_COLUMNS), 1)}
), used AS (
  UPDATE keys SET last_used_at = greatest(coalesce(keys.last_used_at, 0), used.at)
  FROM ${unnest(['text', 'bigint'], firstKey)} AS used (id, at)
  WHERE keys.id = used.id
)
INSERT INTO usage_rollups (${rollupColumns.join(', ')})
SELECT * FROM ${unnest(Object.values(ROLLUP_TYPES), firstRollup)}
ON CONFLICT (${ROLLUP_COLUMNS.join(', ')})
DO UPDATE SET ${SUMMED.map((c) => `${c} = usage_rollups.${c} + excluded.${c}`).join(', ')}`;

/** Column-wise arrays of `rows`, in `columns` order. */
function columnsOf<T>(rows: readonly T[], columns: readonly (keyof T)[]): unknown[][] {
  return columns.map((column) => rows.map((row) => row[column]));
}

/**
 * Runs as a named prepared statement: each connection parses and plans it once. Postgres spent
 * 1.2-1.35 ms of CPU on a 25-event batch when it was parsed every time, 0.71 ms prepared.
 */
export function createPostgresUsageInsert(pool: pg.Pool) {
  return async (events: readonly UsageEvent[]): Promise<void> => {
    if (events.length === 0) return;
    // Rollup rows and keys come in one fixed order: concurrent instances lock them alike.
    const lastUse = lastUseByKey(events);
    const values = [
      ...columnsOf(events.map(fromUsage), eventColumns),
      ...columnsOf(rollupRows(events), rollupColumns),
      lastUse.map(([id]) => id),
      lastUse.map(([, at]) => at),
    ];
    await pool.query({ name: 'keywarden_usage_batch', text: STATEMENT, values });
  };
}
