import type { AuditEntry, AuditHead } from '../domain/audit.js';
import type { AuditLogTable } from './schema.js';

/** Audit entry ⇄ row. Postgres returns bigint columns as strings, hence the `Number()`s. */
export function toAuditEntry(row: AuditLogTable): AuditEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    ts: Number(row.ts),
    action: row.action,
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorRole: row.actor_role,
    targetType: row.target_type,
    targetId: row.target_id,
    projectId: row.project_id,
    requestId: row.request_id,
    clientIp: row.client_ip,
    change: row.change,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function fromAuditEntry(e: AuditEntry): AuditLogTable {
  return {
    seq: e.seq,
    id: e.id,
    ts: e.ts,
    action: e.action,
    actor_type: e.actorType,
    actor_id: e.actorId,
    actor_role: e.actorRole,
    target_type: e.targetType,
    target_id: e.targetId,
    project_id: e.projectId,
    request_id: e.requestId,
    client_ip: e.clientIp,
    change: e.change,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

export function parseAuditHead(text: string | undefined): AuditHead | undefined {
  if (text === undefined) return undefined;
  try {
    const head: unknown = JSON.parse(text);
    const { seq, hash } = (head ?? {}) as Record<string, unknown>;
    return typeof seq === 'number' && typeof hash === 'string' ? { seq, hash } : undefined;
  } catch {
    return undefined;
  }
}

/** A unique-constraint violation: another writer appended after the same head first. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

/**
 * Postgres gave up on the transaction because it collided with a concurrent one: a deadlock
 * (40P01) when the first appends race before the head row exists, or a serialization failure.
 * The transaction was rolled back whole, so running it again is safe.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}
