import {
  ALERT_TYPES,
  type AlertFilter,
  type AlertRecord,
  type AlertSeverity,
  type AlertType,
} from '../domain/alerts.js';
import { GatewayError, invalidField } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/store.js';
import { type Actor, assertCanWrite, canSeeProject } from './actor.js';
import { parseTimestamp } from './field-rules.js';

/** What a caller tells the alert port. Anything that looks like a secret is masked before storing. */
export interface RaiseAlert {
  type: AlertType;
  severity?: AlertSeverity;
  message: string;
  keyId?: string | null;
  projectId?: string | null;
  details?: Record<string, unknown>;
  /** The same dedupe key within the dedupe window raises one alert, not one per event. */
  dedupeKey?: string;
}

/**
 * The port other parts of keywarden call to raise an alert (the watcher, budgets, the leak scanner,
 * credential health). It resolves to the stored alert, or undefined when a duplicate was dropped.
 */
export interface AlertPort {
  raise(input: RaiseAlert): Promise<AlertRecord | undefined>;
}

export interface AlertListInput {
  status?: 'open' | 'acknowledged' | 'all';
  key?: string;
  project?: string;
  type?: string;
  before?: string;
  limit?: number;
}

export interface AlertsAdminDeps {
  store: Store;
  clock: Clock;
  /** Sends a stored alert to the configured webhooks; never throws. */
  deliver: (alert: AlertRecord) => void;
  dedupeWindowMs: number;
}

/** Alerts: raised through the port, listed and acknowledged through the admin API. */
export function createAlertsAdmin({ store, clock, deliver, dedupeWindowMs }: AlertsAdminDeps) {
  // Raises racing each other before either is stored are deduplicated here.
  const recent = new Map<string, number>();

  const raise = async (input: RaiseAlert): Promise<AlertRecord | undefined> => {
    const now = clock.now();
    if (input.dedupeKey) {
      const last = recent.get(input.dedupeKey);
      if (last !== undefined && last > now - dedupeWindowMs) return undefined;
      recent.set(input.dedupeKey, now);
      if (recent.size > 10_000) recent.clear();
      const stored = await store.findAlertSince(input.dedupeKey, now - dedupeWindowMs);
      if (stored) return undefined;
    }
    const alert: AlertRecord = {
      id: newId('alr'),
      ts: now,
      type: input.type,
      severity: input.severity ?? 'warning',
      message: maskSecrets(input.message),
      keyId: input.keyId ?? null,
      projectId: input.projectId ?? null,
      details: JSON.parse(maskSecrets(JSON.stringify(input.details ?? {}))) as Record<string, unknown>,
      dedupeKey: input.dedupeKey ?? null,
      status: 'open',
      acknowledgedAt: null,
      acknowledgedBy: null,
    };
    await store.insertAlert(alert);
    deliver(alert);
    return alert;
  };

  const visible = async (actor: Actor, id: string) => {
    const alert = await store.getAlert(id);
    if (!alert || !canSeeAlert(actor, alert))
      throw new GatewayError('not_found', `no alert ${JSON.stringify(id)}`);
    return alert;
  };

  return {
    raise,
    async list(actor: Actor, input: AlertListInput) {
      const filter: AlertFilter = { limit: input.limit ?? 100 };
      const status = input.status ?? 'open';
      if (status !== 'all') filter.status = status;
      if (input.type !== undefined) {
        const type = ALERT_TYPES.find((t) => t === input.type);
        if (!type) throw invalidField('type', `must be one of ${ALERT_TYPES.join(', ')}`);
        filter.type = type;
      }
      if (input.key !== undefined) filter.keyId = input.key;
      if (input.project !== undefined) {
        const project = await store.findProject(input.project);
        if (!project || !canSeeProject(actor, project.id))
          throw invalidField('project', `no project ${JSON.stringify(input.project)}`);
        filter.projectId = project.id;
      }
      const before = parseTimestamp('before', input.before);
      if (typeof before === 'number') filter.before = before;
      const alerts = (await store.listAlerts(filter)).filter((a) => canSeeAlert(actor, a));
      return { data: await views(store, alerts) };
    },
    async get(actor: Actor, id: string) {
      const alert = await visible(actor, id);
      const [view] = await views(store, [alert]);
      const deliveries = await store.listAlertDeliveries(alert.id);
      return {
        ...view,
        deliveries: deliveries.map((d) => ({
          target: d.target,
          attempt: d.attempt,
          at: new Date(d.ts).toISOString(),
          outcome: d.outcome,
          status_code: d.statusCode,
          error: d.error,
        })),
      };
    },
    async acknowledge(actor: Actor, id: string) {
      assertCanWrite(actor);
      const alert = await visible(actor, id);
      const acked = (await store.acknowledgeAlert(alert.id, clock.now(), actor.tokenId)) ?? alert;
      const [view] = await views(store, [acked]);
      return view;
    },
  };
}

export type AlertsAdmin = ReturnType<typeof createAlertsAdmin>;

/** Gateway-wide alerts (no project) are for gateway admins; project admins see their projects' alerts. */
function canSeeAlert(actor: Actor, alert: AlertRecord): boolean {
  if (actor.role !== 'project-admin') return true;
  return alert.projectId !== null && canSeeProject(actor, alert.projectId);
}

async function views(store: Store, alerts: readonly AlertRecord[]) {
  const keyNames = new Map<string, string>();
  for (const id of new Set(alerts.map((a) => a.keyId).filter((k): k is string => k !== null))) {
    const key = await store.getKey(id);
    if (key) keyNames.set(id, key.name);
  }
  const projects = new Map((await store.listProjects()).map((p) => [p.id, p.name]));
  return alerts.map((a) => alertView(a, keyNames, projects));
}

/** The alert as the API, webhooks and the dashboard show it. */
export function alertView(
  a: AlertRecord,
  keyNames: ReadonlyMap<string, string> = new Map(),
  projectNames: ReadonlyMap<string, string> = new Map(),
) {
  return {
    id: a.id,
    created_at: new Date(a.ts).toISOString(),
    type: a.type,
    severity: a.severity,
    message: a.message,
    key_id: a.keyId,
    key_name: a.keyId === null ? null : (keyNames.get(a.keyId) ?? null),
    project_id: a.projectId,
    project: a.projectId === null ? null : (projectNames.get(a.projectId) ?? null),
    details: a.details,
    status: a.status,
    acknowledged_at: a.acknowledgedAt === null ? null : new Date(a.acknowledgedAt).toISOString(),
    acknowledged_by: a.acknowledgedBy,
  };
}

const SECRET_PATTERNS = [
  // keywarden keys and admin tokens: keep the display prefix, mask the rest.
  /\b(kwa?_[A-Za-z0-9]{6})[A-Za-z0-9]{20,}/g,
  // Provider keys (OpenAI, Anthropic and look-alikes).
  /\b(sk-(?:ant-|proj-)?)[A-Za-z0-9_-]{16,}/g,
];

/** Masks anything shaped like a secret, so no alert, webhook or log carries one. */
export function maskSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((out, pattern) => out.replace(pattern, '$1…'), text);
}
