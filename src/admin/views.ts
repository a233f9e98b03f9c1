import {
  type AdminTokenRecord,
  type CredentialRecord,
  effectiveKeyStatus,
  type KeyRecord,
  type ProjectRecord,
  type ProviderRecord,
} from '../domain/records.js';

/** What the admin API shows of each record. No secret, sealed or not, ever appears here. */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function credentialView(c: CredentialRecord) {
  const source = c.secretRef ? c.secretRef.slice(0, c.secretRef.indexOf(':')) : 'stored';
  return { id: c.id, fingerprint: c.fingerprint, status: c.status, source, created_at: iso(c.createdAt) };
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
  return { id: p.id, name: p.name, limits: p.limits, created_at: iso(p.createdAt) };
}

export function keyView(k: KeyRecord, project: Pick<ProjectRecord, 'name'> | undefined, now: number) {
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
