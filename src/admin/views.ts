import {
  type AdminTokenRecord,
  type CredentialRecord,
  effectiveKeyStatus,
  type KeyRecord,
  type ProjectRecord,
  type ProviderRecord,
} from '../domain/records.js';
import { rotationStatus } from '../domain/rotation.js';

/** What the admin API shows of each record. No secret, sealed or not, ever appears here. */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function credentialView(c: CredentialRecord) {
  const source = c.secretRef ? c.secretRef.slice(0, c.secretRef.indexOf(':')) : 'stored';
  return {
    id: c.id,
    fingerprint: c.fingerprint,
    status: c.status,
    source,
    priority: c.priority,
    weight: c.weight,
    health: c.health,
    health_changed_at: iso(c.healthChangedAt),
    last_error: c.lastError,
    created_at: iso(c.createdAt),
  };
}

export function providerView(p: ProviderRecord, credentials: readonly CredentialRecord[]) {
  return {
    id: p.id,
    name: p.name,
    type: p.type,
    base_url: p.baseUrl,
    created_at: iso(p.createdAt),
    credentials: credentials.map(credentialView),
  };
}

export function projectView(p: ProjectRecord) {
  return {
    id: p.id,
    name: p.name,
    limits: p.limits,
    rotation_policy: p.rotationPolicy,
    created_at: iso(p.createdAt),
  };
}

export function keyView(
  k: KeyRecord,
  project: Pick<ProjectRecord, 'name' | 'rotationPolicy'> | undefined,
  now: number,
) {
  const rotation = rotationStatus(k, project, now);
  return {
    id: k.id,
    name: k.name,
    project: project?.name ?? null,
    project_id: k.projectId,
    prefix: k.displayPrefix,
    status: effectiveKeyStatus(k, now),
    default_provider: k.defaultProvider,
    scopes: k.scopes,
    ip_allow: k.ipAllow,
    limits: k.limits,
    expires_at: iso(k.expiresAt),
    created_at: iso(k.createdAt),
    updated_at: iso(k.updatedAt),
    last_used_at: iso(k.lastUsedAt),
    parent_id: k.parentId,
    can_delegate: k.canDelegate,
    depth: k.depth,
    rotated_at: iso(k.rotatedAt),
    /** Until when the secret before the last rotation is still accepted (past: refused). */
    previous_secret_valid_until: iso(k.previousValidUntil),
    rotation_policy: k.rotationPolicy,
    rotation_due_at: iso(rotation.dueAt),
    rotation_overdue: rotation.overdue,
  };
}

export function adminTokenView(t: AdminTokenRecord, now: number) {
  const status =
    t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active';
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    projects: t.projectIds,
    prefix: t.displayPrefix,
    status,
    expires_at: iso(t.expiresAt),
    revoked_at: iso(t.revokedAt),
    created_at: iso(t.createdAt),
  };
}
