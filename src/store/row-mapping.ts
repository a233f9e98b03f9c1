import type {
  AdminRole,
  AdminTokenRecord,
  CredentialRecord,
  KeyRecord,
  KeyStatus,
  ProjectRecord,
  ProviderRecord,
  ProviderType,
} from '../domain/records.js';
import type { UsageEvent } from '../domain/usage.js';
import type {
  AdminTokensTable,
  CredentialsTable,
  KeysTable,
  ProjectsTable,
  ProvidersTable,
  UsageEventsTable,
} from './schema.js';

/** Row ⇄ record conversions. Postgres returns bigint columns as strings, hence the `Number()`s. */

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

export function toProvider(row: ProvidersTable): ProviderRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type as ProviderType,
    baseUrl: row.base_url,
    createdAt: num(row.created_at),
  };
}

export function fromProvider(p: ProviderRecord): ProvidersTable {
  return { id: p.id, name: p.name, type: p.type, base_url: p.baseUrl, created_at: p.createdAt };
}

export function toCredential(row: CredentialsTable): CredentialRecord {
  return {
    id: row.id,
    providerId: row.provider_id,
    sealedSecret: row.sealed_secret,
    secretRef: row.secret_ref,
    fingerprint: row.fingerprint,
    status: row.status as CredentialRecord['status'],
    createdAt: num(row.created_at),
    priority: num(row.priority ?? 0),
    weight: num(row.weight ?? 1),
    health: (row.health ?? 'ok') as CredentialRecord['health'],
    healthChangedAt: numOrNull(row.health_changed_at),
    lastError: row.last_error ?? null,
  };
}

export function fromCredential(c: CredentialRecord): CredentialsTable {
  return {
    id: c.id,
    provider_id: c.providerId,
    sealed_secret: c.sealedSecret,
    secret_ref: c.secretRef,
    fingerprint: c.fingerprint,
    status: c.status,
    created_at: c.createdAt,
    priority: c.priority,
    weight: c.weight,
    health: c.health,
    health_changed_at: c.healthChangedAt,
    last_error: c.lastError,
  };
}

export function toProject(row: ProjectsTable): ProjectRecord {
  return {
    id: row.id,
    name: row.name,
    limits: JSON.parse(row.limits),
    createdAt: num(row.created_at),
    rotationPolicy: jsonOrNull(row.rotation_policy),
  };
}

export function fromProject(p: ProjectRecord): ProjectsTable {
  return {
    id: p.id,
    name: p.name,
    limits: JSON.stringify(p.limits),
    created_at: p.createdAt,
    rotation_policy: p.rotationPolicy ? JSON.stringify(p.rotationPolicy) : null,
  };
}

const jsonOrNull = (text: string | null | undefined) =>
  text === null || text === undefined ? null : JSON.parse(text);

export function toKey(row: KeysTable): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    projectId: row.project_id,
    secretHash: row.secret_hash,
    displayPrefix: row.display_prefix,
    status: row.status as KeyStatus,
    defaultProvider: row.default_provider,
    scopes: JSON.parse(row.scopes),
    ipAllow: row.ip_allow === null ? null : JSON.parse(row.ip_allow),
    limits: JSON.parse(row.limits),
    expiresAt: numOrNull(row.expires_at),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    lastUsedAt: numOrNull(row.last_used_at),
    previousSecretHash: row.previous_secret_hash ?? null,
    previousValidUntil: numOrNull(row.previous_valid_until),
    rotatedAt: numOrNull(row.rotated_at),
    rotationPolicy: jsonOrNull(row.rotation_policy),
    parentId: row.parent_id ?? null,
    canDelegate: Number(row.can_delegate ?? 0) === 1,
    depth: num(row.depth ?? 0),
  };
}

export function fromKey(k: KeyRecord): KeysTable {
  return {
    id: k.id,
    name: k.name,
    project_id: k.projectId,
    secret_hash: k.secretHash,
    display_prefix: k.displayPrefix,
    status: k.status,
    default_provider: k.defaultProvider,
    scopes: JSON.stringify(k.scopes),
    ip_allow: k.ipAllow === null ? null : JSON.stringify(k.ipAllow),
    limits: JSON.stringify(k.limits),
    expires_at: k.expiresAt,
    created_at: k.createdAt,
    updated_at: k.updatedAt,
    last_used_at: k.lastUsedAt,
    previous_secret_hash: k.previousSecretHash,
    previous_valid_until: k.previousValidUntil,
    rotated_at: k.rotatedAt,
    rotation_policy: k.rotationPolicy ? JSON.stringify(k.rotationPolicy) : null,
    parent_id: k.parentId,
    can_delegate: k.canDelegate ? 1 : 0,
    depth: k.depth,
  };
}

/** Only the columns a key patch may change, in row form. */
export function keyPatchToRow(patch: Partial<KeyRecord>): Partial<KeysTable> {
  const row: Partial<KeysTable> = {};
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.scopes !== undefined) row.scopes = JSON.stringify(patch.scopes);
  if (patch.limits !== undefined) row.limits = JSON.stringify(patch.limits);
  if (patch.ipAllow !== undefined)
    row.ip_allow = patch.ipAllow === null ? null : JSON.stringify(patch.ipAllow);
  if (patch.expiresAt !== undefined) row.expires_at = patch.expiresAt;
  if (patch.defaultProvider !== undefined) row.default_provider = patch.defaultProvider;
  if (patch.updatedAt !== undefined) row.updated_at = patch.updatedAt;
  if (patch.secretHash !== undefined) row.secret_hash = patch.secretHash;
  if (patch.displayPrefix !== undefined) row.display_prefix = patch.displayPrefix;
  if (patch.previousSecretHash !== undefined) row.previous_secret_hash = patch.previousSecretHash;
  if (patch.previousValidUntil !== undefined) row.previous_valid_until = patch.previousValidUntil;
  if (patch.rotatedAt !== undefined) row.rotated_at = patch.rotatedAt;
  if (patch.rotationPolicy !== undefined)
    row.rotation_policy = patch.rotationPolicy === null ? null : JSON.stringify(patch.rotationPolicy);
  return row;
}

export function toAdminToken(row: AdminTokensTable): AdminTokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role as AdminRole,
    projectIds: JSON.parse(row.project_ids),
    secretHash: row.secret_hash,
    displayPrefix: row.display_prefix,
    expiresAt: numOrNull(row.expires_at),
    revokedAt: numOrNull(row.revoked_at),
    createdAt: num(row.created_at),
  };
}

export function fromAdminToken(t: AdminTokenRecord): AdminTokensTable {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    project_ids: JSON.stringify(t.projectIds),
    secret_hash: t.secretHash,
    display_prefix: t.displayPrefix,
    expires_at: t.expiresAt,
    revoked_at: t.revokedAt,
    created_at: t.createdAt,
  };
}

export function fromUsage(e: UsageEvent): UsageEventsTable {
  return {
    id: e.id,
    ts: e.ts,
    request_id: e.requestId,
    key_id: e.keyId,
    project_id: e.projectId,
    provider_id: e.providerId,
    provider_name: e.providerName,
    model: e.model,
    endpoint: e.endpoint,
    status: e.status,
    input_tokens: e.inputTokens,
    output_tokens: e.outputTokens,
    cached_tokens: e.cachedTokens,
    cost_nusd: e.costNanoUsd,
    latency_ms: Math.round(e.latencyMs),
    ttfb_ms: e.ttfbMs === null ? null : Math.round(e.ttfbMs),
    client_ip: e.clientIp,
    streamed: e.streamed ? 1 : 0,
  };
}
