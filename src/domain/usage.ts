/** One proxied request, as metered. Tokens are what the upstream reported (or estimated when it did not). */
export interface UsageEvent {
  id: string;
  ts: number;
  requestId: string;
  keyId: string;
  projectId: string;
  providerId: string;
  providerName: string;
  model: string | null;
  endpoint: string;
  status: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** Cost in billionths of a dollar, so sums stay exact; null when the model has no price. */
  costNanoUsd: number | null;
  latencyMs: number;
  ttfbMs: number | null;
  clientIp: string;
  streamed: boolean;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from the provider's cache (part of inputTokens). */
  cachedTokens: number;
  /** Prompt tokens written to the provider's cache (part of inputTokens; Anthropic only). */
  cacheWriteTokens: number;
}

/** `parent`: the key that delegated the event's key (null for operator-made keys). */
export const USAGE_GROUPS = [
  'key',
  'project',
  'model',
  'provider',
  'endpoint',
  'hour',
  'day',
  'parent',
] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageFilter {
  keyId?: string;
  projectId?: string;
  model?: string;
  providerId?: string;
  /** Only keys delegated by this key. */
  parentKeyId?: string;
  from?: number;
  to?: number;
}

export interface UsageRow {
  group: string | number | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costNanoUsd: number;
  unpricedRequests: number;
}

export const NANO_PER_USD = 1_000_000_000;
