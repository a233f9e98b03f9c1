import { GatewayError } from '../../domain/errors.js';
import type { ProviderType } from '../../domain/records.js';

/** Endpoints that produce output tokens, and the body field that caps them. */
function outputFields(
  endpoint: string,
  providerType: ProviderType,
): { read: string[]; write: string } | undefined {
  switch (endpoint) {
    case 'chat/completions':
      // OpenAI's reasoning models accept only max_completion_tokens; other servers know max_tokens.
      return {
        read: ['max_completion_tokens', 'max_tokens'],
        write: providerType === 'openai' ? 'max_completion_tokens' : 'max_tokens',
      };
    case 'completions':
    case 'messages':
      return { read: ['max_tokens'], write: 'max_tokens' };
    case 'responses':
      return { read: ['max_output_tokens'], write: 'max_output_tokens' };
    default:
      return undefined;
  }
}

export interface OutputBoundInput {
  json: Record<string, unknown> | undefined;
  endpoint: string;
  providerType: ProviderType;
  /** The key's and the project's `max_tokens` limits (the smaller wins). */
  limit: number | undefined;
  mode: 'reject' | 'clamp';
  /** Whether a budget or token rate needs a bound even when the client and the limits set none. */
  needsBound: boolean;
  defaultMax: number;
}

/**
 * The most output tokens this request can produce, enforcing `max_tokens` limits (reject or
 * clamp) and writing a bound into the body when one is needed and missing, so that the upstream
 * cannot exceed what admission reserved. Returns 0 for endpoints without output tokens.
 */
export function boundOutput(input: OutputBoundInput): { maxOutput: number; changed: boolean } {
  const fields = input.json ? outputFields(input.endpoint, input.providerType) : undefined;
  if (!fields || !input.json) return { maxOutput: 0, changed: false };
  const json = input.json;
  const asked = fields.read.map((f) => json[f]).find((v) => typeof v === 'number' && Number.isFinite(v));
  const requested = typeof asked === 'number' ? asked : undefined;

  if (input.limit !== undefined && requested !== undefined && requested > input.limit) {
    if (input.mode === 'reject') {
      throw new GatewayError(
        'max_tokens_exceeded',
        `this API key allows at most ${input.limit} output tokens per request; the request asked for ${requested}`,
      );
    }
    for (const field of fields.read) if (field in json) json[field] = input.limit;
    return { maxOutput: input.limit, changed: true };
  }
  if (requested !== undefined) return { maxOutput: requested, changed: false };
  const bound = input.limit ?? (input.needsBound ? input.defaultMax : undefined);
  if (bound === undefined) return { maxOutput: 0, changed: false };
  json[fields.write] = bound;
  return { maxOutput: bound, changed: true };
}
