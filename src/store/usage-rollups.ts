import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import {
  ROLLUP_BUCKETS_MS,
  type UsageEvent,
  type UsageFilter,
  type UsageGroup,
  type UsageRow,
} from '../domain/usage.js';
import type { Database, UsageRollupsTable } from './schema.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A rollup row's identity: one row per bucket, key, provider, model and endpoint. */
export const ROLLUP_COLUMNS = [
  'bucket_ms',
  'bucket_start',
  'key_id',
  'provider_id',
  'model',
  'endpoint',
] as const;
/** A rollup row's sums, added to on every batch. */
export const SUMMED = [
  'requests',
  'errors',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'cost_nusd',
  'unpriced',
  'latency_ms',
] as const;

/**
 * Folds a batch of events into one row per (bucket, key, provider, model, endpoint), for every bucket
 * size. Rows come in the order of that identity, so every writer locks them in the same order and two
 * concurrent batches cannot deadlock on each other.
 */
export function rollupRows(events: readonly UsageEvent[]): UsageRollupsTable[] {
  const rows = new Map<string, UsageRollupsTable>();
  // Events of a batch mostly repeat the one before (same key, model, minute): they add to its rows
  // without building and hashing an identity per bucket size.
  let previous: UsageEvent | undefined;
  let previousRows: UsageRollupsTable[] = [];
  for (const e of events) {
    const model = e.model ?? '';
    const same =
      previous !== undefined &&
      previous.keyId === e.keyId &&
      previous.providerId === e.providerId &&
      (previous.model ?? '') === model &&
      previous.endpoint === e.endpoint &&
      sameBuckets(previous.ts, e.ts);
    if (!same) {
      previousRows = ROLLUP_BUCKETS_MS.map((size) => {
        const start = Math.floor(e.ts / size) * size;
        const id = `${size}\u0000${start}\u0000${e.keyId}\u0000${e.providerId}\u0000${model}\u0000${e.endpoint}`;
        let row = rows.get(id);
        if (!row) {
          row = {
            bucket_ms: size,
            bucket_start: start,
            key_id: e.keyId,
            project_id: e.projectId,
            provider_id: e.providerId,
            provider_name: e.providerName,
            model,
            endpoint: e.endpoint,
            requests: 0,
            errors: 0,
            input_tokens: 0,
            output_tokens: 0,
            cached_tokens: 0,
            cost_nusd: 0,
            unpriced: 0,
            latency_ms: 0,
          };
          rows.set(id, row);
        }
        return row;
      });
      previous = e;
    }
    for (const row of previousRows) {
      row.requests += 1;
      row.errors += e.status >= 400 ? 1 : 0;
      row.input_tokens += e.inputTokens;
      row.output_tokens += e.outputTokens;
      row.cached_tokens += e.cachedTokens;
      row.cost_nusd += e.costNanoUsd ?? 0;
      row.unpriced += e.costNanoUsd === null ? 1 : 0;
      row.latency_ms += Math.round(e.latencyMs);
    }
  }
  return [...rows.keys()].sort().map((id) => rows.get(id) as UsageRollupsTable);
}

/** Whether two times fall in the same bucket of every size. */
function sameBuckets(a: number, b: number): boolean {
  for (const size of ROLLUP_BUCKETS_MS) if (Math.floor(a / size) !== Math.floor(b / size)) return false;
  return true;
}

/** Each key's latest use in a batch (the time of its newest event), in key order, as rollup rows are. */
export function lastUseByKey(events: readonly UsageEvent[]): [keyId: string, at: number][] {
  const lastUse = new Map<string, number>();
  for (const e of events) lastUse.set(e.keyId, Math.max(lastUse.get(e.keyId) ?? 0, e.ts));
  return [...lastUse].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** A stretch of time read from one source: raw events, or rollups of one bucket size. */
export interface Segment {
  source: 'raw' | number;
  from: number;
  to: number;
}

/**
 * Splits [from, to) into the fewest pieces that whole buckets can answer: days in the middle, then
 * hours, then minutes towards the edges, and raw events only for the sub-minute ends. `maxBucket`
 * keeps buckets no larger than the grouping (an hourly chart cannot be read from day rollups).
 */
export function planSegments(from: number, to: number, maxBucket: number): Segment[] {
  const sizes = [...ROLLUP_BUCKETS_MS].filter((s) => s <= maxBucket).sort((a, b) => b - a);
  const out: Segment[] = [];
  const plan = (lo: number, hi: number, index: number) => {
    if (lo >= hi) return;
    const size = sizes[index];
    if (size === undefined) {
      out.push({ source: 'raw', from: lo, to: hi });
      return;
    }
    const a = Number.isFinite(lo) ? Math.ceil(lo / size) * size : lo;
    const b = Number.isFinite(hi) ? Math.floor(hi / size) * size : hi;
    if (a >= b) {
      plan(lo, hi, index + 1);
      return;
    }
    plan(lo, a, index + 1);
    out.push({ source: size, from: a, to: b });
    plan(b, hi, index + 1);
  };
  plan(from, to, 0);
  return out;
}

const ZERO_AMOUNTS: Omit<UsageRow, 'group'> = {
  requests: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedTokens: 0,
  costNanoUsd: 0,
  unpricedRequests: 0,
};

type Row = {
  grp: unknown;
  requests: unknown;
  errors: unknown;
  input_tokens: unknown;
  output_tokens: unknown;
  cached_tokens: unknown;
  cost_nusd: unknown;
  unpriced: unknown;
};

/** Usage totals, grouped or not, read from rollups wherever whole buckets cover the range. */
export async function queryUsageFromRollups(
  db: Kysely<Database>,
  filter: UsageFilter,
  groupBy: UsageGroup | null,
): Promise<UsageRow[]> {
  const maxBucket = groupBy === 'hour' ? HOUR_MS : DAY_MS;
  const segments = planSegments(filter.from ?? -Infinity, filter.to ?? Infinity, maxBucket);
  const parts = await Promise.all(segments.map((s) => querySegment(db, filter, groupBy, s)));
  const merged = new Map<string, UsageRow>();
  for (const row of parts.flat()) {
    // Postgres hands bigint expressions back as strings: time buckets are numbers either way.
    const timeGroup = groupBy === 'hour' || groupBy === 'day';
    const group =
      row.grp === null ? null : typeof row.grp === 'string' && !timeGroup ? row.grp : Number(row.grp);
    const id = `${typeof group}:${String(group)}`;
    const into = merged.get(id) ?? { group, ...ZERO_AMOUNTS };
    into.requests += Number(row.requests);
    into.errors += Number(row.errors);
    into.inputTokens += Number(row.input_tokens);
    into.outputTokens += Number(row.output_tokens);
    into.cachedTokens += Number(row.cached_tokens);
    into.costNanoUsd += Number(row.cost_nusd);
    into.unpricedRequests += Number(row.unpriced);
    merged.set(id, into);
  }
  const rows = [...merged.values()].filter((r) => r.requests > 0);
  if (groupBy === null) return rows.length > 0 ? rows : [{ group: null, ...ZERO_AMOUNTS }];
  return rows.sort((a, b) => compareGroups(a.group, b.group));
}

function compareGroups(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

async function querySegment(
  db: Kysely<Database>,
  filter: UsageFilter,
  groupBy: UsageGroup | null,
  segment: Segment,
): Promise<Row[]> {
  if (segment.source === 'raw') {
    return db
      .selectFrom('usage_events')
      .select([
        groupExpression(groupBy, 'raw').as('grp'),
        sql<number>`count(*)`.as('requests'),
        sql<number>`coalesce(sum(case when status >= 400 then 1 else 0 end), 0)`.as('errors'),
        sql<number>`coalesce(sum(input_tokens), 0)`.as('input_tokens'),
        sql<number>`coalesce(sum(output_tokens), 0)`.as('output_tokens'),
        sql<number>`coalesce(sum(cached_tokens), 0)`.as('cached_tokens'),
        sql<number>`coalesce(sum(cost_nusd), 0)`.as('cost_nusd'),
        sql<number>`coalesce(sum(case when cost_nusd is null then 1 else 0 end), 0)`.as('unpriced'),
      ])
      .where((eb) => {
        const conditions: Expression<SqlBool>[] = [];
        if (filter.keyId !== undefined) conditions.push(eb('key_id', '=', filter.keyId));
        if (filter.projectId !== undefined) conditions.push(eb('project_id', '=', filter.projectId));
        if (filter.model !== undefined) conditions.push(eb('model', '=', filter.model));
        if (filter.providerId !== undefined) conditions.push(eb('provider_id', '=', filter.providerId));
        if (filter.parentKeyId !== undefined) {
          conditions.push(
            eb(
              'key_id',
              'in',
              eb.selectFrom('keys').select('id').where('parent_id', '=', filter.parentKeyId),
            ),
          );
        }
        if (Number.isFinite(segment.from)) conditions.push(eb('ts', '>=', segment.from));
        if (Number.isFinite(segment.to)) conditions.push(eb('ts', '<', segment.to));
        return eb.and(conditions);
      })
      .$if(groupBy !== null, (q) => q.groupBy(sql.ref('grp')))
      .execute();
  }
  const size = segment.source;
  return db
    .selectFrom('usage_rollups')
    .select([
      groupExpression(groupBy, 'rollup').as('grp'),
      ...SUMMED.filter((c) => c !== 'latency_ms').map((c) =>
        sql<number>`coalesce(sum(${sql.ref(c)}), 0)`.as(c),
      ),
    ])
    .where((eb) => {
      const conditions: Expression<SqlBool>[] = [eb('bucket_ms', '=', size)];
      if (filter.keyId !== undefined) conditions.push(eb('key_id', '=', filter.keyId));
      if (filter.projectId !== undefined) conditions.push(eb('project_id', '=', filter.projectId));
      if (filter.model !== undefined) conditions.push(eb('model', '=', filter.model));
      if (filter.providerId !== undefined) conditions.push(eb('provider_id', '=', filter.providerId));
      if (filter.parentKeyId !== undefined) {
        conditions.push(
          eb('key_id', 'in', eb.selectFrom('keys').select('id').where('parent_id', '=', filter.parentKeyId)),
        );
      }
      if (Number.isFinite(segment.from)) conditions.push(eb('bucket_start', '>=', segment.from));
      if (Number.isFinite(segment.to)) conditions.push(eb('bucket_start', '<', segment.to));
      return eb.and(conditions);
    })
    .$if(groupBy !== null, (q) => q.groupBy(sql.ref('grp')))
    .execute() as Promise<Row[]>;
}

function groupExpression(groupBy: UsageGroup | null, source: 'raw' | 'rollup'): RawBuilder<unknown> {
  const ts = source === 'raw' ? sql.ref('ts') : sql.ref('bucket_start');
  switch (groupBy) {
    case null:
      return sql`null`;
    case 'key':
      return sql`key_id`;
    case 'project':
      return sql`project_id`;
    case 'model':
      return source === 'raw' ? sql`model` : sql`nullif(model, '')`;
    case 'provider':
      return sql`provider_name`;
    case 'endpoint':
      return sql`endpoint`;
    case 'parent':
      // Delegated keys: group a parent's children together (null for keys minted by an operator).
      return source === 'raw'
        ? sql`(select parent_id from keys where keys.id = usage_events.key_id)`
        : sql`(select parent_id from keys where keys.id = usage_rollups.key_id)`;
    case 'hour':
      return sql`(${ts} / ${sql.lit(HOUR_MS)}) * ${sql.lit(HOUR_MS)}`;
    case 'day':
      return sql`(${ts} / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`;
  }
}
