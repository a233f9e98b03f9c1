import type { Kysely } from 'kysely';
import type {
  AlertDeliveryRecord,
  AlertRecord,
  AlertSeverity,
  AlertStatus,
  AlertType,
} from '../domain/alerts.js';
import type { UsageEvent } from '../domain/usage.js';
import type { AlertsTable, Database, UsageEventsTable } from './schema.js';
import type { Store } from './store.js';

type WatchStore = Pick<
  Store,
  | 'insertAlert'
  | 'getAlert'
  | 'listAlerts'
  | 'findAlertSince'
  | 'acknowledgeAlert'
  | 'insertAlertDelivery'
  | 'listAlertDeliveries'
  | 'listSightings'
  | 'insertSightings'
  | 'listUsageEvents'
  | 'pruneUsage'
>;

/** The alert, delivery-log, sighting and raw-usage methods of the Kysely store. */
export function createKyselyWatchStore(db: Kysely<Database>): WatchStore {
  return {
    async insertAlert(alert) {
      await db.insertInto('alerts').values(fromAlert(alert)).execute();
    },
    async getAlert(id) {
      const row = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAlert(row) : undefined;
    },
    async listAlerts(filter) {
      let query = db.selectFrom('alerts').selectAll().orderBy('ts', 'desc').orderBy('id', 'desc');
      if (filter.status) query = query.where('status', '=', filter.status);
      if (filter.keyId) query = query.where('key_id', '=', filter.keyId);
      if (filter.projectId) query = query.where('project_id', '=', filter.projectId);
      if (filter.type) query = query.where('type', '=', filter.type);
      if (filter.before !== undefined) query = query.where('ts', '<', filter.before);
      return (await query.limit(filter.limit).execute()).map(toAlert);
    },
    async findAlertSince(dedupeKey, since) {
      const row = await db
        .selectFrom('alerts')
        .selectAll()
        .where('dedupe_key', '=', dedupeKey)
        .where('ts', '>=', since)
        .orderBy('ts', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toAlert(row) : undefined;
    },
    async acknowledgeAlert(id, at, by) {
      await db
        .updateTable('alerts')
        .set({ status: 'acknowledged', acknowledged_at: at, acknowledged_by: by })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .execute();
      const row = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAlert(row) : undefined;
    },
    async insertAlertDelivery(d) {
      await db
        .insertInto('alert_deliveries')
        .values({
          id: d.id,
          alert_id: d.alertId,
          target: d.target,
          attempt: d.attempt,
          ts: d.ts,
          outcome: d.outcome,
          status_code: d.statusCode,
          error: d.error,
        })
        .execute();
    },
    async listAlertDeliveries(alertId) {
      const rows = await db
        .selectFrom('alert_deliveries')
        .selectAll()
        .where('alert_id', '=', alertId)
        .orderBy('ts')
        .orderBy('attempt')
        .execute();
      return rows.map(
        (r): AlertDeliveryRecord => ({
          id: r.id,
          alertId: r.alert_id,
          target: r.target,
          attempt: Number(r.attempt),
          ts: Number(r.ts),
          outcome: r.outcome as AlertDeliveryRecord['outcome'],
          statusCode: r.status_code === null ? null : Number(r.status_code),
          error: r.error,
        }),
      );
    },
    async listSightings() {
      const rows = await db.selectFrom('key_sightings').selectAll().execute();
      return rows.map((r) => ({
        keyId: r.key_id,
        kind: r.kind as 'network' | 'model',
        value: r.value,
        firstSeen: Number(r.first_seen),
      }));
    },
    async insertSightings(sightings) {
      if (sightings.length === 0) return;
      await db
        .insertInto('key_sightings')
        .values(
          sightings.map((s) => ({ key_id: s.keyId, kind: s.kind, value: s.value, first_seen: s.firstSeen })),
        )
        .onConflict((oc) => oc.columns(['key_id', 'kind', 'value']).doNothing())
        .execute();
    },
    async listUsageEvents(filter, limit) {
      let query = db.selectFrom('usage_events').selectAll().orderBy('ts', 'desc').orderBy('id', 'desc');
      if (filter.keyId !== undefined) query = query.where('key_id', '=', filter.keyId);
      if (filter.projectId !== undefined) query = query.where('project_id', '=', filter.projectId);
      if (filter.from !== undefined) query = query.where('ts', '>=', filter.from);
      if (filter.to !== undefined) query = query.where('ts', '<', filter.to);
      return (await query.limit(limit).execute()).map(toUsage);
    },
    async pruneUsage(before) {
      const result = await db.deleteFrom('usage_events').where('ts', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function fromAlert(a: AlertRecord): AlertsTable {
  return {
    id: a.id,
    ts: a.ts,
    type: a.type,
    severity: a.severity,
    message: a.message,
    key_id: a.keyId,
    project_id: a.projectId,
    details: JSON.stringify(a.details),
    dedupe_key: a.dedupeKey,
    status: a.status,
    acknowledged_at: a.acknowledgedAt,
    acknowledged_by: a.acknowledgedBy,
  };
}

function toAlert(r: AlertsTable): AlertRecord {
  return {
    id: r.id,
    ts: Number(r.ts),
    type: r.type as AlertType,
    severity: r.severity as AlertSeverity,
    message: r.message,
    keyId: r.key_id,
    projectId: r.project_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
    dedupeKey: r.dedupe_key,
    status: r.status as AlertStatus,
    acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
  };
}

function toUsage(r: UsageEventsTable): UsageEvent {
  return {
    id: r.id,
    ts: Number(r.ts),
    requestId: r.request_id,
    keyId: r.key_id,
    projectId: r.project_id,
    providerId: r.provider_id,
    providerName: r.provider_name,
    model: r.model,
    endpoint: r.endpoint,
    status: Number(r.status),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cachedTokens: Number(r.cached_tokens),
    costNanoUsd: r.cost_nusd === null ? null : Number(r.cost_nusd),
    latencyMs: Number(r.latency_ms),
    ttfbMs: r.ttfb_ms === null ? null : Number(r.ttfb_ms),
    clientIp: r.client_ip,
    streamed: Boolean(r.streamed),
  };
}
