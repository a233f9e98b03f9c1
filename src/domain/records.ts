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

/** `draining`: used only when no active credential can serve; `retired`: never used again. */
export type CredentialStatus = 'active' | 'draining' | 'retired';
export const CREDENTIAL_STATUSES: readonly CredentialStatus[] = ['active', 'draining', 'retired'];
/** `failing`: the upstream refused it (401/403); traffic avoids it until a refresh. */
export type CredentialHealth = 'ok' | 'failing';

/** A provider's real key: sealed at rest (`sealedSecret`) or referenced (`secretRef`), never both. */
export interface CredentialRecord {
  id: string;
  providerId: string;
  sealedSecret: string | null;
  secretRef: string | null;
  fingerprint: string;
  status: CredentialStatus;
  createdAt: number;
  /** Lower is preferred; credentials of equal priority share traffic by weight. */
  priority: number;
  weight: number;
  health: CredentialHealth;
  healthChangedAt: number | null;
  /** Why it is failing, e.g. `upstream answered 401`; never the secret. */
  lastError: string | null;
}

export interface ProjectRecord {
  id: string;
  name: string;
  limits: Limits;
  createdAt: number;
  rotationPolicy: RotationPolicy | null;
}

/** Where an automatically rotated secret is delivered; never a log. */
export type RotationSink =
  | { type: 'webhook'; url: string; signing_secret_ref: string }
  | { type: 'vault'; path: string };

/** How old a key's secret may get before it is due for rotation, and whether keywarden rotates it. */
export interface RotationPolicy {
  max_age_seconds: number;
  grace_seconds?: number;
  auto_rotate?: boolean;
  sink?: RotationSink;
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
  /** The secret before the last rotation, accepted until `previousValidUntil`, then refused as rotated. */
  previousSecretHash: string | null;
  previousValidUntil: number | null;
  rotatedAt: number | null;
  rotationPolicy: RotationPolicy | null;
  /** The key that minted this one (delegation), null for keys an operator created. */
  parentId: string | null;
  canDelegate: boolean;
  /** 0 for operator keys, parent's depth + 1 for delegated ones. */
  depth: number;
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
