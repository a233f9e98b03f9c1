/** Alerts: something an operator should look at. Pure data; no secret ever goes into one. */

export const ALERT_TYPES = [
  'anomaly',
  'spend_rule',
  'new_ip',
  'new_model',
  'auth_failure_spike',
  'budget_threshold',
  'key_expiring',
  'rotation_due',
  'leak_detected',
  'credential_failing',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export type AlertStatus = 'open' | 'acknowledged';

export interface AlertRecord {
  id: string;
  ts: number;
  type: AlertType;
  severity: AlertSeverity;
  message: string;
  keyId: string | null;
  projectId: string | null;
  /** Facts behind the alert (numbers, names, prefixes); never a secret. */
  details: Record<string, unknown>;
  /** Alerts with the same dedupe key within the dedupe window are raised once. */
  dedupeKey: string | null;
  status: AlertStatus;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
}

export interface AlertFilter {
  status?: AlertStatus;
  keyId?: string;
  projectId?: string;
  type?: AlertType;
  /** Only alerts older than this timestamp (paging). */
  before?: number;
  limit: number;
}

/** One attempt to deliver an alert to one target. */
export interface AlertDeliveryRecord {
  id: string;
  alertId: string;
  /** The target's name (never its URL, which may embed a token). */
  target: string;
  attempt: number;
  ts: number;
  outcome: 'delivered' | 'failed';
  statusCode: number | null;
  error: string | null;
}

/** What the watcher remembers per key: the networks and models it has been used from and with. */
export interface KeySighting {
  keyId: string;
  kind: 'network' | 'model';
  value: string;
  firstSeen: number;
}
