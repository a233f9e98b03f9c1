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
  /** Soft budgets never refuse; they only raise alerts as spend crosses `alert_at`. */
  soft?: boolean;
  /** Percentages of the budget at which an alert is raised (default 50, 80, 100). */
  alert_at?: number[];
}

/** What to do with a request asking for more output tokens than `max_tokens` allows. */
export type MaxTokensMode = 'reject' | 'clamp';

/** The same shape on keys and on projects; a project's limits cap the sum of its keys. */
export interface Limits {
  /** Requests per minute (a burst of up to rpm, then rpm evenly over each minute). */
  rpm?: number;
  /** Input plus output tokens per minute. */
  tpm?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Most output tokens one request may ask for. */
  max_tokens?: number;
  /** Default `clamp`. */
  max_tokens_mode?: MaxTokensMode;
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
