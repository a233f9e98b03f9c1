import type { ProviderType } from '../../../domain/records.js';
import { asObject, count, defined, type ProviderAdapter } from './provider-adapter.js';

/**
 * OpenAI's usage shapes: chat/completions and embeddings report `prompt_tokens` /
 * `completion_tokens`; responses reports `input_tokens` / `output_tokens`, and in a stream only in
 * the terminal `response.completed` (or `.incomplete` / `.failed`) event.
 */
function usageOf(usage: unknown) {
  const u = asObject(usage);
  if (!u) return null;
  const details = asObject(u.prompt_tokens_details) ?? asObject(u.input_tokens_details);
  return defined({
    inputTokens: count(u.prompt_tokens) ?? count(u.input_tokens),
    outputTokens:
      count(u.completion_tokens) ?? count(u.output_tokens) ?? (u.prompt_tokens !== undefined ? 0 : undefined),
    cachedTokens: count(details?.cached_tokens),
  });
}

const TERMINAL_RESPONSE_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

function openAiStyle(type: ProviderType): ProviderAdapter {
  return {
    type,
    dialect: 'openai',
    credentialHeaders: (secret) => ({ authorization: `Bearer ${secret}` }),
    usageFromBody: (_endpoint, usage) => usageOf(usage),
    usageFromEvent(endpoint, data) {
      const event = asObject(data);
      if (!event) return null;
      if (endpoint === 'responses') {
        return typeof event.type === 'string' && TERMINAL_RESPONSE_EVENTS.has(event.type)
          ? usageOf(asObject(event.response)?.usage)
          : null;
      }
      return usageOf(event.usage);
    },
    needsUsageRequest: (endpoint) => endpoint === 'chat/completions' || endpoint === 'completions',
  };
}

export const openAiAdapter = openAiStyle('openai');
export const openAiCompatibleAdapter = openAiStyle('openai-compatible');
