/**
 * Row shapes as stored. JSON columns hold text so SQLite and Postgres share one schema; bigint
 * columns are numbers here (Postgres hands them back as strings, which row-mapping converts).
 */
type BigIntColumn = number;
type NullableBigInt = number | null;

export interface MetaTable {
  name: string;
  value: string;
}

export interface ProvidersTable {
  id: string;
  name: string;
  type: string;
  base_url: string;
  created_at: BigIntColumn;
}

export interface CredentialsTable {
  id: string;
  provider_id: string;
  sealed_secret: string | null;
  secret_ref: string | null;
  fingerprint: string;
  status: string;
  created_at: BigIntColumn;
  priority: number;
  weight: number;
  health: string;
  health_changed_at: NullableBigInt;
  last_error: string | null;
}

export interface ProjectsTable {
  id: string;
  name: string;
  limits: string;
  created_at: BigIntColumn;
  rotation_policy: string | null;
}

export interface KeysTable {
  id: string;
  name: string;
  project_id: string;
  secret_hash: string;
  display_prefix: string;
  status: string;
  default_provider: string | null;
  scopes: string;
  ip_allow: string | null;
  limits: string;
  expires_at: NullableBigInt;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  last_used_at: NullableBigInt;
  previous_secret_hash: string | null;
  previous_valid_until: NullableBigInt;
  rotated_at: NullableBigInt;
  rotation_policy: string | null;
  parent_id: string | null;
  can_delegate: number;
  depth: number;
}

export interface AdminTokensTable {
  id: string;
  name: string;
  role: string;
  project_ids: string;
  secret_hash: string;
  display_prefix: string;
  expires_at: NullableBigInt;
  revoked_at: NullableBigInt;
  created_at: BigIntColumn;
}

export interface UsageEventsTable {
  id: string;
  ts: BigIntColumn;
  request_id: string;
  key_id: string;
  project_id: string;
  provider_id: string;
  provider_name: string;
  model: string | null;
  endpoint: string;
  status: number;
  input_tokens: BigIntColumn;
  output_tokens: BigIntColumn;
  cached_tokens: BigIntColumn;
  cost_nusd: NullableBigInt;
  latency_ms: number;
  ttfb_ms: number | null;
  client_ip: string;
  streamed: number;
}

export interface Database {
  meta: MetaTable;
  providers: ProvidersTable;
  credentials: CredentialsTable;
  projects: ProjectsTable;
  keys: KeysTable;
  admin_tokens: AdminTokensTable;
  usage_events: UsageEventsTable;
}
