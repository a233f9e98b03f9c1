import type { AlertDeliveryRecord, AlertFilter, AlertRecord, KeySighting } from '../domain/alerts.js';
import type { AuditEntry, AuditFilter, AuditHead } from '../domain/audit.js';
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
  /**
   * Lets one instance at a time initialise a shared database: resolves once no other instance holds
   * the lock, with its release. Postgres: a session advisory lock, also released when the holder's
   * connection ends (an instance that died mid-way). SQLite: one process owns a data dir; nothing to wait for.
   */
  lockInitialisation(): Promise<() => Promise<void>>;

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

  insertAdminToken(token: AdminTokenRecord): Promise<void>;
  listAdminTokens(): Promise<AdminTokenRecord[]>;
  findAdminTokenByHash(secretHash: string): Promise<AdminTokenRecord | undefined>;
  revokeAdminToken(id: string, at: number): Promise<AdminTokenRecord | undefined>;

  /**
   * Appends a batch in one transaction: all of it is stored or none, and the minute, hour and day
   * rollups and each key's last use (the latest event's time, never moved back) are updated in the
   * same transaction.
   */
  insertUsage(events: readonly UsageEvent[]): Promise<void>;
  /** Reads rollups where whole buckets cover the range and raw events only for the edges. */
  queryUsage(filter: UsageFilter, groupBy: UsageGroup | null): Promise<UsageRow[]>;
  /** The newest raw events first. */
  listUsageEvents(
    filter: Pick<UsageFilter, 'keyId' | 'projectId' | 'from' | 'to'>,
    limit: number,
  ): Promise<UsageEvent[]>;
  /** Deletes raw events older than `before` (rollups are kept); returns how many went. */
  pruneUsage(before: number): Promise<number>;

  insertAlert(alert: AlertRecord): Promise<void>;
  getAlert(id: string): Promise<AlertRecord | undefined>;
  /** Newest first. */
  listAlerts(filter: AlertFilter): Promise<AlertRecord[]>;
  /** The newest alert with this dedupe key raised at or after `since`. */
  findAlertSince(dedupeKey: string, since: number): Promise<AlertRecord | undefined>;
  /** Acknowledges an open alert; an acknowledged one stays as it was. */
  acknowledgeAlert(id: string, at: number, by: string): Promise<AlertRecord | undefined>;
  insertAlertDelivery(delivery: AlertDeliveryRecord): Promise<void>;
  listAlertDeliveries(alertId: string): Promise<AlertDeliveryRecord[]>;

  listSightings(): Promise<KeySighting[]>;
  /** Adds sightings; ones already known are left as they were. */
  insertSightings(sightings: readonly KeySighting[]): Promise<void>;

  /**
   * Appends one audit entry after the current head in one transaction that reads the head (locked
   * on Postgres) and inserts; `build` turns the head into the sealed entry. A writer that lost a
   * race (unique `prev_hash`) is retried with the new head, so the chain never forks.
   */
  appendAudit(build: (head: AuditHead | undefined) => AuditEntry): Promise<AuditEntry>;
  /** Entries in log order (`seq`), after `filter.afterSeq`, at most `filter.limit`. */
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
  /** The last entry written, as recorded beside the log (so a cut-off end is noticed). */
  auditHead(): Promise<AuditHead | undefined>;

  close(): Promise<void>;
}
