import { GatewayError } from '../domain/errors.js';
import type { AdminRole } from '../domain/records.js';

/** Who is calling the admin API, as established from an admin token. */
export interface Actor {
  tokenId: string;
  role: AdminRole;
  /** For `project-admin`: the only projects it may see or change. */
  projectIds: readonly string[];
  /** The request this actor made, for the audit trail. */
  requestId?: string;
  clientIp?: string;
}

export function canWrite(actor: Actor): boolean {
  return actor.role !== 'viewer';
}

export function assertCanWrite(actor: Actor): void {
  if (!canWrite(actor)) throw new GatewayError('forbidden', 'this admin token is read-only (role viewer)');
}

/** Providers and admin tokens are gateway-wide: only owner and admin manage them. */
export function assertGatewayAdmin(actor: Actor): void {
  if (actor.role !== 'owner' && actor.role !== 'admin') {
    throw new GatewayError('forbidden', `role ${actor.role} cannot manage gateway-wide settings`);
  }
}

export function canSeeProject(actor: Actor, projectId: string): boolean {
  return actor.role !== 'project-admin' || actor.projectIds.includes(projectId);
}
