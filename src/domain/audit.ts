import { createHash } from 'node:crypto';

/**
 * The audit trail: every admin action and security event, appended as one entry that holds the
 * SHA-256 of the entry before it. Editing, removing, inserting or reordering entries breaks the
 * chain at a place `verifyAuditChain` can name. The hash is computed here and nowhere else.
 */

export const AUDIT_ACTIONS = [
  'key.created',
  'key.updated',
  'key.rotated',
  'key.suspended',
  'key.resumed',
  'key.revoked',
  'key.delegated',
  'key.leak_revoked',
  'key.anomaly_suspended',
  'project.created',
  'project.updated',
  'provider.created',
  'provider.removed',
  'provider.credential_added',
  'provider.credential_retired',
  'admin_token.created',
  'admin_token.revoked',
  'auth.sign_in',
  'auth.failed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditActorType = 'admin_token' | 'key' | 'system' | 'anonymous';

/** What a caller hands to `audit.append`; time, ids and hashes are added by the log. */
export interface AuditEvent {
  action: AuditAction;
  actor: { type: AuditActorType; id: string | null; role?: string | null };
  target?: { type: string; id: string } | null;
  /** The project the target belongs to, so project-admin tokens see their own trail. */
  projectId?: string | null;
  requestId?: string | null;
  clientIp?: string | null;
  /** What changed (before/after, or the new record's settings). Secrets are scrubbed before hashing. */
  change?: Record<string, unknown> | null;
}

export interface AuditEntry {
  /** Position in the log: 1, 2, 3, ... Not part of the hash; order is proven by `prevHash`. */
  seq: number;
  id: string;
  ts: number;
  action: string;
  actorType: string;
  actorId: string | null;
  actorRole: string | null;
  targetType: string | null;
  targetId: string | null;
  projectId: string | null;
  requestId: string | null;
  clientIp: string | null;
  /** Canonical JSON text of the change, exactly as hashed. */
  change: string;
  prevHash: string;
  hash: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/** Audit queries: all conditions must hold; results come in log order after `afterSeq`. */
export interface AuditFilter {
  afterSeq?: number;
  limit: number;
  actorId?: string;
  action?: string;
  targetId?: string;
  /** Only entries about these projects (a project-admin's view). */
  projectIds?: readonly string[];
  from?: number;
  to?: number;
}

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 over the previous hash and every stored field but `seq` and `hash`. */
export function auditHash(entry: Omit<AuditEntry, 'seq' | 'hash'>): string {
  const fields = [
    entry.id,
    entry.ts,
    entry.action,
    entry.actorType,
    entry.actorId,
    entry.actorRole,
    entry.targetType,
    entry.targetId,
    entry.projectId,
    entry.requestId,
    entry.clientIp,
    entry.change,
  ];
  return createHash('sha256')
    .update(`${entry.prevHash}\n${JSON.stringify(fields)}`)
    .digest('hex');
}

/** The next entry after `head` (none: the first entry), hashed. */
export function sealAuditEntry(
  head: AuditHead | undefined,
  event: AuditEvent,
  at: { id: string; ts: number },
): AuditEntry {
  const unsealed = {
    id: at.id,
    ts: at.ts,
    action: event.action,
    actorType: event.actor.type,
    actorId: event.actor.id,
    actorRole: event.actor.role ?? null,
    targetType: event.target?.type ?? null,
    targetId: event.target?.id ?? null,
    projectId: event.projectId ?? null,
    requestId: event.requestId ?? null,
    clientIp: event.clientIp ?? null,
    change: canonicalJson(scrubSecrets(event.change ?? {})),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  return { seq: (head?.seq ?? 0) + 1, ...unsealed, hash: auditHash(unsealed) };
}

const SECRET_FIELDS = new Set([
  'api_key',
  'apikey',
  'secret',
  'token',
  'key',
  'password',
  'authorization',
  'sealed_secret',
  'sealedsecret',
  'secrethash',
  'secret_hash',
]);
const SECRET_TEXT = /\b(kwa?_[A-Za-z0-9]{38})\b|\b(sk-[A-Za-z0-9_-]{8,})/g;

/**
 * Defence in depth: callers must not pass secrets, but a field named like one is dropped and any
 * text shaped like a keywarden or provider key is masked, so the trail can never carry one.
 */
export function scrubSecrets(value: unknown): Record<string, unknown> {
  const scrub = (v: unknown, depth: number): unknown => {
    if (depth > 8) return '[deep]';
    if (typeof v === 'string') return v.replace(SECRET_TEXT, '[redacted]');
    if (Array.isArray(v)) return v.map((item) => scrub(item, depth + 1));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([name]) => !SECRET_FIELDS.has(name.toLowerCase()))
          .map(([name, inner]) => [name, scrub(inner, depth + 1)]),
      );
    }
    return v;
  };
  const out = scrub(value, 0);
  return out !== null && typeof out === 'object' && !Array.isArray(out)
    ? (out as Record<string, unknown>)
    : {};
}

/** JSON with object keys sorted, so equal changes always hash the same. */
export function canonicalJson(value: unknown): string {
  const order = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(order);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, order((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(order(value));
}
