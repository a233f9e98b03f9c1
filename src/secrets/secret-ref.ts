import { readFileSync } from 'node:fs';
import type { Clock } from '../lib/clock.js';

/**
 * Secret references: a provider credential may name where its secret lives instead of storing
 * it. Resolved at use, so a secret rotated at its source is picked up without touching keywarden.
 */
export type SecretRef =
  | { scheme: 'env'; name: string }
  | { scheme: 'file'; path: string }
  /** HashiCorp Vault KV v2: `vault:<mount>/<path>[#field][@version]`. */
  | { scheme: 'vault'; mount: string; path: string; field: string | undefined; version: number | undefined }
  /** AWS Secrets Manager: `aws-sm:<name or ARN>[#json-field][?region=<region>]`. */
  | { scheme: 'aws-sm'; secretId: string; field: string | undefined; region: string | undefined };

export const SECRET_REF_SCHEMES = ['env', 'file', 'vault', 'aws-sm'] as const;

/** Parses a reference; returns an error message for anything it cannot use. */
export function parseSecretRef(text: string): SecretRef | string {
  const colon = text.indexOf(':');
  const scheme = colon > 0 ? text.slice(0, colon) : '';
  const rest = text.slice(colon + 1);
  if (scheme === 'env') {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(rest)
      ? { scheme, name: rest }
      : 'env: needs a variable name, e.g. env:OPENAI_API_KEY';
  }
  if (scheme === 'file') {
    return rest.startsWith('/')
      ? { scheme, path: rest }
      : 'file: needs an absolute path, e.g. file:/run/secrets/openai';
  }
  if (scheme === 'vault') {
    const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_./-]+?)(?:#([^@#]+))?(?:@(\d+))?$/.exec(rest);
    if (!match?.[1] || !match[2])
      return 'vault: needs <mount>/<path>[#field][@version], e.g. vault:secret/openai#api_key';
    return {
      scheme,
      mount: match[1],
      path: match[2],
      field: match[3],
      version: match[4] === undefined ? undefined : Number(match[4]),
    };
  }
  if (scheme === 'aws-sm') {
    const match = /^([A-Za-z0-9/_+=.@:-]+?)(?:#([^?#]+))?(?:\?region=([a-z0-9-]+))?$/.exec(rest);
    if (!match?.[1]) return 'aws-sm: needs a secret name or ARN, e.g. aws-sm:prod/openai#api_key';
    return { scheme, secretId: match[1], field: match[2], region: match[3] };
  }
  return `unsupported secret reference scheme ${JSON.stringify(scheme)}; supported: ${SECRET_REF_SCHEMES.join(', ')}`;
}

/** Reads one secret from an external store; throws on I/O failure, undefined when it is absent. */
export type ExternalSecretReader = (ref: SecretRef) => Promise<string | undefined>;

export interface SecretRefResolver {
  /** The secret's current value, or undefined when it is missing or empty. */
  resolve(ref: SecretRef): Promise<string | undefined>;
  /** Forgets cached values, so the next use reads the source again (`providers refresh`). */
  invalidate(): void;
}

const FILE_TTL_MS = 30_000;
export const DEFAULT_EXTERNAL_TTL_MS = 300_000;

/**
 * Env vars are read on every use (cheap); files and external stores are cached (files 30 s,
 * Vault and AWS for `externalTtlMs`) so the hot path rarely does I/O. When an external store
 * cannot be reached, the last value read keeps serving until the store answers again.
 */
export function createSecretRefResolver(
  env: NodeJS.ProcessEnv,
  clock: Clock,
  external: {
    read?: ExternalSecretReader;
    ttlMs?: number;
    onError?: (ref: SecretRef, error: unknown) => void;
  } = {},
): SecretRefResolver {
  const cache = new Map<string, { value: string | undefined; until: number }>();
  const ttl = external.ttlMs ?? DEFAULT_EXTERNAL_TTL_MS;

  const readFile = (path: string) => {
    try {
      return readFileSync(path, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async resolve(ref) {
      if (ref.scheme === 'env') return env[ref.name]?.trim() || undefined;
      const cacheKey = JSON.stringify(ref);
      const cached = cache.get(cacheKey);
      if (cached && cached.until > clock.now()) return cached.value;
      if (ref.scheme === 'file') {
        const value = readFile(ref.path);
        cache.set(cacheKey, { value, until: clock.now() + FILE_TTL_MS });
        return value;
      }
      if (!external.read) return undefined;
      try {
        const value = (await external.read(ref))?.trim() || undefined;
        cache.set(cacheKey, { value, until: clock.now() + ttl });
        return value;
      } catch (error) {
        external.onError?.(ref, error);
        return cached?.value;
      }
    },
    invalidate: () => cache.clear(),
  };
}
