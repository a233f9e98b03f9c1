import type { ProviderType } from '../../../domain/records.js';
import type { TokenCounts } from '../../../domain/usage.js';

/** Which error envelope and SDK conventions a provider's clients expect. */
export type Dialect = 'openai' | 'anthropic';

/**
 * A provider described as data: how it authenticates, which error shape its SDKs parse, and where
 * its responses carry token usage. Adding a provider type means adding one of these.
 */
export interface ProviderAdapter {
  type: ProviderType;
  dialect: Dialect;
  /** Sets the real credential in the provider's own header. */
  credentialHeaders(secret: string): Record<string, string>;
  /**
   * Token usage from a complete JSON answer's top-level `usage` member (the only one either dialect
   * reports a whole answer's usage in, and all that is parsed of it), or null when it carries none.
   */
  usageFromBody(endpoint: string, usage: unknown): Partial<TokenCounts> | null;
  /** Token usage carried by one SSE event's parsed data, or null. Later events overwrite earlier fields. */
  usageFromEvent(endpoint: string, data: unknown): Partial<TokenCounts> | null;
  /** Whether a streaming request to `endpoint` must ask for the usage chunk (OpenAI chat only). */
  needsUsageRequest(endpoint: string): boolean;
}

type Json = Record<string, unknown>;

export const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

export const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

/** Drops undefined fields so a partial reading never overwrites a value with nothing. */
export function defined(
  counts: Partial<Record<keyof TokenCounts, number | undefined>>,
): Partial<TokenCounts> | null {
  let out: Partial<TokenCounts> | null = null;
  for (const field in counts) {
    const value = counts[field as keyof TokenCounts];
    if (value === undefined) continue;
    out ??= {};
    out[field as keyof TokenCounts] = value;
  }
  return out;
}
