import { countTokens } from 'gpt-tokenizer';
import type { ProviderType } from '../../domain/records.js';

/** Tokens OpenAI adds around each chat message and to prime the reply. */
const PER_MESSAGE = 4;
const PRIMING = 3;
/** An image part in a prompt: OpenAI bills at most ~1,100 tokens for a high-detail 2048px image. */
const PER_IMAGE = 1_600;
/**
 * Claude's tokenizer yields more tokens than OpenAI's o200k for the same text; the o200k count is
 * scaled up so that the estimate stays above what Anthropic will report.
 */
const ANTHROPIC_FACTOR = 1.2;

/**
 * A conservative estimate of a request's prompt tokens, made before it goes upstream so a budget
 * reservation can hold its worst case: the larger of the o200k tokenizer's count and a quarter of
 * the text's UTF-8 bytes, plus per-message overhead (scaled up for Anthropic, see above).
 */
export function estimateInputTokens(
  json: Record<string, unknown> | undefined,
  providerType: ProviderType,
): number {
  if (!json) return 0;
  const texts: string[] = [];
  let images = 0;
  let messages = 0;
  const collect = (value: unknown, depth: number): void => {
    if (depth > 12 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      texts.push(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) collect(item, depth + 1);
      return;
    }
    if (typeof value !== 'object') return;
    const part = value as Record<string, unknown>;
    if (part.type === 'image_url' || part.type === 'image' || part.type === 'input_image') {
      images++;
      return;
    }
    for (const [field, inner] of Object.entries(part)) {
      // Identifiers and settings are not prompt text; everything else (content, tools, schemas) is.
      if (field === 'model' || field === 'role' || field === 'type' || field === 'id') continue;
      collect(inner, depth + 1);
    }
  };
  for (const field of [
    'messages',
    'system',
    'instructions',
    'input',
    'prompt',
    'tools',
    'functions',
  ] as const) {
    const value = json[field];
    if (field === 'messages' && Array.isArray(value)) messages = value.length;
    collect(value, 0);
  }
  const text = texts.join('\n');
  const counted = Math.max(countTokens(text), Math.ceil(Buffer.byteLength(text) / 4));
  const tokens = counted + messages * PER_MESSAGE + (messages > 0 ? PRIMING : 0) + images * PER_IMAGE;
  return providerType === 'anthropic' ? Math.ceil(tokens * ANTHROPIC_FACTOR) : tokens;
}

/** Tokens of text the client actually received, for a stream cut off before its usage report. */
export function countDeliveredTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}
