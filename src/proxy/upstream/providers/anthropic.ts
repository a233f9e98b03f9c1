import { asObject, count, defined, type ProviderAdapter } from './provider-adapter.js';

/**
 * Anthropic reports `input_tokens` without the cached part, so the prompt total is
 * input + cache_read + cache_creation. In a stream, `message_start` carries the prompt side and
 * `message_delta` the cumulative output count.
 */
function usageOf(usage: unknown) {
  const u = asObject(usage);
  if (!u) return null;
  const uncached = count(u.input_tokens);
  const cacheRead = count(u.cache_read_input_tokens) ?? 0;
  const cacheWrite = count(u.cache_creation_input_tokens) ?? 0;
  return defined({
    inputTokens: uncached === undefined ? undefined : uncached + cacheRead + cacheWrite,
    outputTokens: count(u.output_tokens),
    cachedTokens: uncached === undefined ? undefined : cacheRead,
    cacheWriteTokens: uncached === undefined ? undefined : cacheWrite,
  });
}

export const anthropicAdapter: ProviderAdapter = {
  type: 'anthropic',
  dialect: 'anthropic',
  credentialHeaders: (secret) => ({ 'x-api-key': secret }),
  usageFromBody: (endpoint, usage) => (endpoint === 'messages/count_tokens' ? null : usageOf(usage)),
  usageFromEvent(_endpoint, data) {
    const event = asObject(data);
    if (event?.type === 'message_start') return usageOf(asObject(event.message)?.usage);
    if (event?.type === 'message_delta') return usageOf(event.usage);
    return null;
  },
  needsUsageRequest: () => false,
};
