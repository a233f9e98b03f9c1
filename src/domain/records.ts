/** The records keywarden keeps. Pure data: storage maps rows to these, services pass them around. */

export type ProviderType = 'openai' | 'anthropic' | 'openai-compatible';
export const PROVIDER_TYPES: readonly ProviderType[] = ['openai', 'anthropic', 'openai-compatible'];

export interface ProviderRecord {
  id: string;
  name: string;
  type: ProviderType;
  baseUrl: string;
  createdAt: number;
}

export type CredentialStatus = 'active' | 'retired';

/** A provider's real key: sealed at rest (`sealedSecret`) or referenced (`secretRef`), never both. */
export interface CredentialRecord {
  id: string;
  providerId: string;
  sealedSecret: string | null;
  secretRef: string | null;
  fingerprint: string;
  status: CredentialStatus;
  createdAt: number;
}

export interface ProjectRecord {
  id: string;
  name: string;
  limits: Limits;
  createdAt: number;
}

export type BudgetPeriod = 'hour' | 'day' | 'week' | 'month' | 'total';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['hour', 'day', 'week', 'month', 'total'];

export interface Budget {
  usd: number;
  period: BudgetPeriod;
  soft?: boolean;
}

export interface Limits {
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  max_tokens?: number;
  budgets?: Budget[];
}

/** Omitted lists mean "any". */
export interface Scopes {
  providers?: string[];
  models?: string[];
  endpoints?: string[];
}

export type KeyStatus = 'active' | 'suspended' | 'revoked';
/** What a caller sees: `expired` is derived from `expiresAt` and the clock, never stored. */
export type EffectiveKeyStatus = KeyStatus | 'expired';

export interface KeyRecord {
  id: string;
  name: string;
  projectId: string;
  secretHash: string;
  displayPrefix: string;
  status: KeyStatus;
  defaultProvider: string | null;
  scopes: Scopes;
  ipAllow: string[] | null;
  limits: Limits;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
}

export function effectiveKeyStatus(
  key: Pick<KeyRecord, 'status' | 'expiresAt'>,
  now: number,
): EffectiveKeyStatus {
  if (key.status === 'active' && key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return key.status;
}

export type AdminRole = 'owner' | 'admin' | 'project-admin' | 'viewer';
export const ADMIN_ROLES: readonly AdminRole[] = ['owner', 'admin', 'project-admin', 'viewer'];

export interface AdminTokenRecord {
  id: string;
  name: string;
  role: AdminRole;
  /** Project ids a `project-admin` token may manage; empty for other roles. */
  projectIds: string[];
  secretHash: string;
  displayPrefix: string;
  expiresAt: number | null;
  revokedAt: number | null;
  createdAt: number;
}
