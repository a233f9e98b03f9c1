/** The one configuration object. Built by `loadConfig`, frozen, and passed to whatever needs it. */
export interface PriceOverride {
  /** USD per million input tokens. */
  input_per_mtok: number;
  /** USD per million output tokens. */
  output_per_mtok: number;
  /** USD per million cached input tokens; defaults to the input price. */
  cached_input_per_mtok?: number;
}

export interface WebhookConfig {
  name: string;
  url: string;
  secret?: string;
  format: 'json' | 'slack';
  events?: string[];
}

/** The live usage watcher: baselines, rules and what an anomaly does to a key. */
export interface WatchConfig {
  enabled: boolean;
  /** `auto_suspend` suspends the key as soon as an anomaly is raised for it. */
  onAnomaly: 'alert' | 'auto_suspend';
  /** How many standard deviations above the baseline mean count as anomalous. */
  sigma: number;
  /** And at least this many times the baseline mean. */
  ratio: number;
  /** Minutes of history a baseline needs before it is trusted. */
  warmupMinutes: number;
  /** Per minute, below these amounts nothing is anomalous. */
  floors: { requests: number; tokens: number; costUsd: number; errors: number };
  /** Spend more than `usd` within `minutes` on one key raises an alert. */
  spendRules: Array<{ usd: number; minutes: number }>;
  /** This many refused-credential answers for one key prefix within a minute raise an alert. */
  authFailureBurst: number;
  newIpAlerts: boolean;
  newModelAlerts: boolean;
  /** Alert this many hours before a key expires. */
  expiryWarningHours: number;
}

export interface Config {
  dataDir: string;
  host: string;
  port: number;
  /** Where the admin API and dashboard listen when apart from the proxy; absent: on the proxy's port. */
  adminHost: string | undefined;
  adminPort: number | undefined;
  /** `postgres://...`; absent means SQLite in the data dir. */
  databaseUrl: string | undefined;
  /** Absent means in-process counters. */
  redisUrl: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Base64 of 32 bytes, from `KEYWARDEN_MASTER_KEY`; absent means the key file in the data dir. */
  masterKey: string | undefined;
  proxy: {
    /** Largest request body accepted (bytes); larger gets 413. */
    maxBodyBytes: number;
    /** How long to wait for an upstream's response headers. */
    upstreamHeadersTimeoutMs: number;
    /** Longest silence allowed between two chunks of an upstream body. */
    upstreamBodyTimeoutMs: number;
    /** Use the X-Forwarded-For client address (only behind a proxy you trust). */
    trustProxy: boolean;
    /** Allow provider base URLs on link-local / cloud-metadata addresses. */
    allowLinkLocalUpstreams: boolean;
    /** When non-empty, provider hosts (`*.example.com`) and CIDRs allowed; nothing else is. */
    upstreamAllow: readonly string[];
    /** Provider hosts and CIDRs never connected to; wins over the allow list. */
    upstreamDeny: readonly string[];
  };
  http: {
    /** Longest a client may take to send its request headers. */
    headersTimeoutMs: number;
    /** Longest a client may take to send a whole request (headers and body). */
    requestTimeoutMs: number;
    /** Longest a connection may stay silent in both directions (also bounds a stalled stream). */
    idleTimeoutMs: number;
    /** Deepest JSON nesting accepted in admin bodies and in proxied JSON bodies. */
    adminMaxJsonDepth: number;
    proxyMaxJsonDepth: number;
    /** Failed authentications a client address may make at once, and earns back per minute. */
    authFailureBurst: number;
    authFailuresPerMinute: number;
  };
  usage: {
    /** Longest an event waits in memory before it is written. */
    flushIntervalMs: number;
    /** Events written per transaction at most. */
    batchSize: number;
    /** Raw events older than this many days are deleted (rollups are kept); absent keeps them all. */
    retentionDays: number | undefined;
    /**
     * Most events held while storage is unreachable. When full, new proxy requests are refused with
     * 503 `store_unavailable` rather than served without a record: completed requests are never lost.
     */
    maxQueued: number;
  };
  /** Several instances on one Postgres (DATABASE_URL) and Redis (REDIS_URL). */
  scaleOut: {
    /** Prepended to every Redis key and channel, so deployments can share one Redis. */
    redisPrefix: string;
    /**
     * Redis unreachable: refuse every request with 503 `counters_unavailable` (`fail-closed`), or
     * admit requests without rate and concurrency limits (`fail-open-rates`). Budgets always fail closed.
     */
    onCountersUnavailable: 'fail-closed' | 'fail-open-rates';
    /** How long a cached key or provider is trusted without hearing of a change (safety net). */
    cacheTtlMs: number;
    /** A reservation older than this is taken as its instance's crash: settled at its reserved amount. */
    reservationLeaseMs: number;
  };
  metrics: {
    /** Adds a `key_id` label to request metrics; off by default to bound label cardinality. */
    perKeyLabels: boolean;
  };
  alerts: {
    webhooks: WebhookConfig[];
    /** Alerts with the same subject and kind within this window are raised once. */
    dedupeMinutes: number;
    /** Attempts per webhook delivery, with exponential backoff from `retryBaseMs`. */
    maxAttempts: number;
    retryBaseMs: number;
  };
  watch: WatchConfig;
  pricing: {
    /** Per-model prices that win over the bundled table; keys are model names or `provider/model`. */
    overrides: Record<string, PriceOverride>;
    /** Price for models found nowhere; absent means such requests are recorded with cost null. */
    fallback: PriceOverride | undefined;
  };
  limits: {
    /** IANA zone in which budget days, weeks and months begin. */
    timeZone: string;
    /**
     * Output tokens assumed (and sent upstream as the request's maximum) when a request that a
     * budget or token rate applies to sets none, so the worst case stays bounded.
     */
    defaultMaxOutputTokens: number;
  };
  /** Longest a graceful shutdown waits for in-flight requests and streams. */
  shutdownGraceMs: number;
  leakReports: {
    /**
     * GitHub's secret scanning public keys (`{"public_keys":[...]}`, as served at
     * /meta/public_keys/secret_scanning); absent turns `POST /leak-reports/github` off.
     */
    githubPublicKeysFile: string | undefined;
  };
}

export const DEFAULTS = {
  dataDir: './.keywarden',
  host: '127.0.0.1',
  port: 8787,
  logLevel: 'info',
  proxy: {
    maxBodyBytes: 32 * 1024 * 1024,
    upstreamHeadersTimeoutMs: 600_000,
    upstreamBodyTimeoutMs: 300_000,
    trustProxy: false,
    allowLinkLocalUpstreams: false,
    upstreamAllow: [],
    upstreamDeny: [],
  },
  http: {
    headersTimeoutMs: 30_000,
    requestTimeoutMs: 300_000,
    idleTimeoutMs: 330_000,
    adminMaxJsonDepth: 32,
    proxyMaxJsonDepth: 256,
    authFailureBurst: 20,
    authFailuresPerMinute: 10,
  },
  usage: { flushIntervalMs: 250, batchSize: 1000, maxQueued: 200_000 },
  scaleOut: {
    redisPrefix: 'kw:',
    onCountersUnavailable: 'fail-closed',
    cacheTtlMs: 10_000,
    reservationLeaseMs: 15 * 60_000,
  },
  limits: { timeZone: 'UTC', defaultMaxOutputTokens: 4096 },
  alerts: { dedupeMinutes: 15, maxAttempts: 5, retryBaseMs: 1000 },
  watch: {
    enabled: true,
    onAnomaly: 'alert',
    sigma: 6,
    ratio: 4,
    warmupMinutes: 30,
    floors: { requests: 30, tokens: 50_000, costUsd: 0.25, errors: 20 },
    spendRules: [{ usd: 50, minutes: 10 }],
    authFailureBurst: 20,
    newIpAlerts: true,
    newModelAlerts: true,
    expiryWarningHours: 24,
  },
  shutdownGraceMs: 30_000,
} as const;
