import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkTimeZone } from '../domain/periods.js';
import { invalidPolicyEntry } from '../domain/upstream-policy.js';
import { type Config, DEFAULTS, type PriceOverride } from './config.js';
import { watchSettings } from './watch-settings.js';

/** A configuration mistake, reported as one line naming the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigFlags {
  dataDir?: string;
  host?: string;
  port?: string | number;
}

export const CONFIG_FILE_NAME = 'keywarden.yaml';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Flags win over environment variables, which win over `keywarden.yaml` in the data dir, which wins
 * over defaults. This is the only place that reads `process.env`.
 */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const dataDir = resolve(flags.dataDir ?? env.KEYWARDEN_DATA_DIR ?? DEFAULTS.dataDir);
  const file = readConfigFile(join(dataDir, CONFIG_FILE_NAME));
  const proxy = section(file, 'proxy');
  const usage = section(file, 'usage');
  const pricing = section(file, 'pricing');
  const http = section(file, 'http');
  const int = (name: keyof typeof DEFAULTS.http, key: string) =>
    positiveInt(`http.${key}`, http[key] ?? DEFAULTS.http[name]);
  const adminPort = env.KEYWARDEN_ADMIN_PORT ?? file.admin_port;
  const scaleOut = section(file, 'scale_out');
  const limits = section(file, 'limits');
  const leakReports = section(file, 'leak_reports');

  const config: Config = {
    dataDir,
    host: str('host', flags.host ?? env.KEYWARDEN_HOST ?? file.host ?? DEFAULTS.host),
    port: port(flags.port ?? env.KEYWARDEN_PORT ?? file.port ?? DEFAULTS.port),
    adminHost: optionalStr('admin_host', env.KEYWARDEN_ADMIN_HOST || file.admin_host),
    adminPort: adminPort === undefined || adminPort === '' ? undefined : port(adminPort),
    databaseUrl: optionalStr('database_url', env.DATABASE_URL || file.database_url),
    redisUrl: optionalStr('redis_url', env.REDIS_URL || file.redis_url),
    logLevel: logLevel(env.KEYWARDEN_LOG_LEVEL ?? file.log_level ?? DEFAULTS.logLevel),
    masterKey: optionalStr('KEYWARDEN_MASTER_KEY', env.KEYWARDEN_MASTER_KEY || undefined),
    proxy: {
      maxBodyBytes: positiveInt('proxy.max_body_bytes', proxy.max_body_bytes ?? DEFAULTS.proxy.maxBodyBytes),
      upstreamHeadersTimeoutMs: positiveInt(
        'proxy.upstream_headers_timeout_ms',
        proxy.upstream_headers_timeout_ms ?? DEFAULTS.proxy.upstreamHeadersTimeoutMs,
      ),
      upstreamBodyTimeoutMs: positiveInt(
        'proxy.upstream_body_timeout_ms',
        proxy.upstream_body_timeout_ms ?? DEFAULTS.proxy.upstreamBodyTimeoutMs,
      ),
      trustProxy: bool('proxy.trust_proxy', proxy.trust_proxy ?? DEFAULTS.proxy.trustProxy),
      allowLinkLocalUpstreams: bool(
        'proxy.allow_link_local_upstreams',
        proxy.allow_link_local_upstreams ?? DEFAULTS.proxy.allowLinkLocalUpstreams,
      ),
      upstreamAllow: policyList('proxy.upstream_allow', proxy.upstream_allow),
      upstreamDeny: policyList('proxy.upstream_deny', proxy.upstream_deny),
    },
    http: {
      headersTimeoutMs: int('headersTimeoutMs', 'headers_timeout_ms'),
      requestTimeoutMs: int('requestTimeoutMs', 'request_timeout_ms'),
      idleTimeoutMs: int('idleTimeoutMs', 'idle_timeout_ms'),
      adminMaxJsonDepth: int('adminMaxJsonDepth', 'admin_max_json_depth'),
      proxyMaxJsonDepth: int('proxyMaxJsonDepth', 'proxy_max_json_depth'),
      authFailureBurst: int('authFailureBurst', 'auth_failure_burst'),
      authFailuresPerMinute: int('authFailuresPerMinute', 'auth_failures_per_minute'),
    },
    usage: {
      flushIntervalMs: positiveInt(
        'usage.flush_interval_ms',
        usage.flush_interval_ms ?? DEFAULTS.usage.flushIntervalMs,
      ),
      batchSize: positiveInt('usage.batch_size', usage.batch_size ?? DEFAULTS.usage.batchSize),
      retentionDays:
        usage.retention_days === undefined || usage.retention_days === null
          ? undefined
          : positiveInt('usage.retention_days', usage.retention_days),
      maxQueued: positiveInt('usage.max_queued', usage.max_queued ?? DEFAULTS.usage.maxQueued),
    },
    scaleOut: {
      redisPrefix: redisPrefix(
        env.KEYWARDEN_REDIS_PREFIX || scaleOut.redis_prefix || DEFAULTS.scaleOut.redisPrefix,
      ),
      onCountersUnavailable: oneOf(
        'scale_out.on_counters_unavailable',
        env.KEYWARDEN_COUNTERS_ON_UNAVAILABLE ||
          scaleOut.on_counters_unavailable ||
          DEFAULTS.scaleOut.onCountersUnavailable,
        ['fail-closed', 'fail-open-rates'] as const,
      ),
      cacheTtlMs: positiveInt(
        'scale_out.cache_ttl_ms',
        scaleOut.cache_ttl_ms ?? DEFAULTS.scaleOut.cacheTtlMs,
      ),
      reservationLeaseMs: positiveInt(
        'scale_out.reservation_lease_ms',
        scaleOut.reservation_lease_ms ?? DEFAULTS.scaleOut.reservationLeaseMs,
      ),
    },
    ...watchSettings(file),
    pricing: {
      overrides: priceOverrides(pricing.overrides),
      fallback:
        pricing.fallback === undefined ? undefined : priceOverride('pricing.fallback', pricing.fallback),
    },
    limits: {
      timeZone: timeZone(limits.time_zone ?? DEFAULTS.limits.timeZone),
      defaultMaxOutputTokens: positiveInt(
        'limits.default_max_output_tokens',
        limits.default_max_output_tokens ?? DEFAULTS.limits.defaultMaxOutputTokens,
      ),
    },
    shutdownGraceMs: positiveInt('shutdown_grace_ms', file.shutdown_grace_ms ?? DEFAULTS.shutdownGraceMs),
    leakReports: {
      githubPublicKeysFile: optionalStr(
        'leak_reports.github_public_keys_file',
        env.KEYWARDEN_GITHUB_PUBLIC_KEYS_FILE || leakReports.github_public_keys_file,
      ),
    },
  };
  return deepFreeze(config);
}

export type Raw = Record<string, unknown>;

function readConfigFile(path: string): Raw {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(`${path}: must be a mapping`);
  return parsed as Raw;
}

export function section(file: Raw, name: string): Raw {
  const value = file[name];
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${name}: must be a mapping`);
  }
  return value as Raw;
}

export function str(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${name}: must be a non-empty string`);
  return value;
}

function optionalStr(name: string, value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : str(name, value);
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (!found) throw new ConfigError(`${name}: must be one of ${allowed.join(', ')}`);
  return found;
}

/** A hash tag in the prefix would pull every counter into one Redis Cluster slot. */
function redisPrefix(value: unknown): string {
  const prefix = str('redis prefix', value);
  if (/[{}]/.test(prefix)) throw new ConfigError('redis prefix: must not contain { or }');
  return prefix;
}

function port(value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`port: must be a whole number from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name}: must be a positive whole number`);
  }
  return value;
}

function policyList(name: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new ConfigError(`${name}: must be a list of host names and CIDRs`);
  }
  const bad = invalidPolicyEntry(value);
  if (bad !== undefined)
    throw new ConfigError(`${name}: ${JSON.stringify(bad)} is neither a host name nor a CIDR`);
  return value;
}

export function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`${name}: must be true or false`);
  return value;
}

function timeZone(value: unknown): string {
  const zone = str('limits.time_zone', value);
  try {
    checkTimeZone(zone);
  } catch {
    throw new ConfigError(
      `limits.time_zone: unknown time zone ${JSON.stringify(zone)} (use an IANA name, e.g. Europe/Berlin)`,
    );
  }
  return zone;
}

function logLevel(value: unknown): Config['logLevel'] {
  const level = LOG_LEVELS.find((l) => l === value);
  if (!level) throw new ConfigError(`log level: must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function priceOverrides(value: unknown): Record<string, PriceOverride> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('pricing.overrides: must be a mapping of model name to prices');
  }
  return Object.fromEntries(
    Object.entries(value).map(([model, price]) => [
      model,
      priceOverride(`pricing.overrides.${model}`, price),
    ]),
  );
}

function priceOverride(name: string, value: unknown): PriceOverride {
  const raw = (typeof value === 'object' && value !== null ? value : {}) as Raw;
  const price = (field: string, optional = false): number | undefined => {
    const v = raw[field];
    if (optional && v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ConfigError(`${name}.${field}: must be a non-negative number (USD per million tokens)`);
    }
    return v;
  };
  const override: PriceOverride = {
    input_per_mtok: price('input_per_mtok') as number,
    output_per_mtok: price('output_per_mtok') as number,
  };
  const cached = price('cached_input_per_mtok', true);
  if (cached !== undefined) override.cached_input_per_mtok = cached;
  return override;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
