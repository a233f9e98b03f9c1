/** The one configuration object. Built by `loadConfig`, frozen, and passed to whatever needs it. */
export interface PriceOverride {
  /** USD per million input tokens. */
  input_per_mtok: number;
  /** USD per million output tokens. */
  output_per_mtok: number;
  /** USD per million cached input tokens; defaults to the input price. */
  cached_input_per_mtok?: number;
}

export interface Config {
  dataDir: string;
  host: string;
  port: number;
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
  };
  usage: {
    /** Longest an event waits in memory before it is written. */
    flushIntervalMs: number;
    /** Events written per transaction at most. */
    batchSize: number;
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
  },
  usage: { flushIntervalMs: 250, batchSize: 1000, maxQueued: 200_000 },
  scaleOut: {
    redisPrefix: 'kw:',
    onCountersUnavailable: 'fail-closed',
    cacheTtlMs: 10_000,
    reservationLeaseMs: 15 * 60_000,
  },
  limits: { timeZone: 'UTC', defaultMaxOutputTokens: 4096 },
  shutdownGraceMs: 30_000,
} as const;
