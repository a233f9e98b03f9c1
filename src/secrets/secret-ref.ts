import { readFileSync } from 'node:fs';
import type { Clock } from '../lib/clock.js';

/**
 * Secret references: a provider credential may name where its secret lives instead of storing
 * it. Resolved at use, so a rotated env var or file is picked up without touching keywarden.
 */
export type SecretRef = { scheme: 'env'; name: string } | { scheme: 'file'; path: string };

export const SECRET_REF_SCHEMES = ['env', 'file'] as const;

/** Parses `env:NAME` or `file:/abs/path`; returns an error message for anything else. */
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
  return `unsupported secret reference scheme ${JSON.stringify(scheme)}; supported: ${SECRET_REF_SCHEMES.join(', ')}`;
}

export interface SecretRefResolver {
  /** The secret's current value, or undefined when it is missing or empty. */
  resolve(ref: SecretRef): string | undefined;
}

const FILE_TTL_MS = 30_000;

/** Env vars are read on every use (cheap); files are cached briefly so the hot path does no I/O. */
export function createSecretRefResolver(env: NodeJS.ProcessEnv, clock: Clock): SecretRefResolver {
  const files = new Map<string, { value: string | undefined; until: number }>();
  return {
    resolve(ref) {
      if (ref.scheme === 'env') return env[ref.name]?.trim() || undefined;
      const cached = files.get(ref.path);
      if (cached && cached.until > clock.now()) return cached.value;
      let value: string | undefined;
      try {
        value = readFileSync(ref.path, 'utf8').trim() || undefined;
      } catch {
        value = undefined;
      }
      files.set(ref.path, { value, until: clock.now() + FILE_TTL_MS });
      return value;
    },
  };
}
