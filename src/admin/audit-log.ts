import type { AuditEntry, AuditEvent } from '../domain/audit.js';
import type { Actor } from './actor.js';

/**
 * The audit port: admin use cases and security events (leak revocation, anomaly suspension,
 * failed sign-ins) call `append`; the implementation chains and stores the entry. An admin action
 * awaits its entry, so nothing is done that the trail does not show.
 */
export interface AuditLog {
  append(event: AuditEvent): Promise<AuditEntry>;
}

/** Who did it, from which request and address, for an event caused by an admin token. */
export function byActor(actor: Actor): Pick<AuditEvent, 'actor' | 'requestId' | 'clientIp'> {
  return {
    actor: { type: 'admin_token', id: actor.tokenId, role: actor.role },
    requestId: actor.requestId ?? null,
    clientIp: actor.clientIp ?? null,
  };
}
