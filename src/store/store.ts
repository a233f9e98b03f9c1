import type {
  AdminTokenRecord,
  CredentialRecord,
  KeyRecord,
  ProjectRecord,
  ProviderRecord,
} from '../domain/records.js';
import type { UsageEvent, UsageFilter, UsageGroup, UsageRow } from '../domain/usage.js';

/**
 * The storage port. Everything keywarden persists goes through here; the embedded SQLite and the
 * scale-out Postgres implementations both pass `store-contract.ts`. Lookups by name are exact and
 * case-sensitive; `undefined` means "not there" and never throws.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';

  getMeta(name: string): Promise<string | undefined>;
  setMeta(name: string, value: string): Promise<void>;

  /** Stores a provider with its first credential (none for a keyless local server), atomically. */
  insertProvider(provider: ProviderRecord, credential: CredentialRecord | undefined): Promise<void>;
  listProviders(): Promise<ProviderRecord[]>;
  findProvider(idOrName: string): Promise<ProviderRecord | undefined>;
  /** Deletes the provider and its credentials. */
  deleteProvider(id: string): Promise<boolean>;
  insertCredential(credential: CredentialRecord): Promise<void>;
  listCredentials(providerId: string): Promise<CredentialRecord[]>;
  setCredentialStatus(id: string, status: CredentialRecord['status']): Promise<boolean>;
  /** Records a credential's health as the proxy observed it (or as an operator reset it). */
  setCredentialHealth(
    id: string,
    health: Pick<CredentialRecord, 'health' | 'healthChangedAt' | 'lastError'>,
  ): Promise<boolean>;

  insertProject(project: ProjectRecord): Promise<void>;
  listProjects(): Promise<ProjectRecord[]>;
  findProject(idOrName: string): Promise<ProjectRecord | undefined>;
  updateProject(
    id: string,
    patch: Partial<Pick<ProjectRecord, 'limits' | 'rotationPolicy'>>,
  ): Promise<ProjectRecord | undefined>;

  insertKey(key: KeyRecord): Promise<void>;
  listKeys(filter: { projectId?: string; parentId?: string }): Promise<KeyRecord[]>;
  getKey(id: string): Promise<KeyRecord | undefined>;
  /** The key whose current secret, or secret before its last rotation, hashes to `secretHash`. */
  findKeyByHash(secretHash: string): Promise<KeyRecord | undefined>;
  /** Also used for keys by name within a project (`name`). */
  findKeyByName(projectId: string, name: string): Promise<KeyRecord | undefined>;
  updateKey(
    id: string,
    patch: Partial<
      Pick<
        KeyRecord,
        | 'status'
        | 'scopes'
        | 'limits'
        | 'ipAllow'
        | 'expiresAt'
        | 'defaultProvider'
        | 'updatedAt'
        | 'secretHash'
        | 'displayPrefix'
        | 'previousSecretHash'
        | 'previousValidUntil'
        | 'rotatedAt'
        | 'rotationPolicy'
      >
    >,
  ): Promise<KeyRecord | undefined>;
  touchKeys(lastUsed: ReadonlyMap<string, number>): Promise<void>;

  insertAdminToken(token: AdminTokenRecord): Promise<void>;
  listAdminTokens(): Promise<AdminTokenRecord[]>;
  findAdminTokenByHash(secretHash: string): Promise<AdminTokenRecord | undefined>;
  revokeAdminToken(id: string, at: number): Promise<AdminTokenRecord | undefined>;

  /** Appends a batch in one transaction: all of it is stored or none. */
  insertUsage(events: readonly UsageEvent[]): Promise<void>;
  queryUsage(filter: UsageFilter, groupBy: UsageGroup | null): Promise<UsageRow[]>;

  close(): Promise<void>;
}
