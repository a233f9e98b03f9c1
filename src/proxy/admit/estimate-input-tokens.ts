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
const PROMPT_FIELDS = [
  'messages',
  'system',
  'instructions',
  'input',
  'prompt',
  'tools',
  'functions',
] as const;

interface Prompt {
  texts: string[];
  /** UTF-8 bytes of the texts joined by newlines. */
  bytes: number;
  messages: number;
  images: number;
}

type CountTokens = (text: string) => number;
let tokenizer: Promise<CountTokens> | undefined;

/**
 * The o200k tokenizer holds ~70 MB of tables, so it is loaded on first use: a gateway whose budgets
 * are far from their limits never needs it (see `inputTokenBound`).
 */
function loadTokenizer(): Promise<CountTokens> {
  tokenizer ??= import('gpt-tokenizer').then((module) => module.countTokens);
  return tokenizer;
}

/**
 * An upper bound of a request's prompt tokens without tokenizing: every token of a byte-level BPE
 * tokenizer covers at least one byte, so the text's UTF-8 length bounds its token count. Costs
 * microseconds where the tokenizer costs tens; admission reserves this first and tokenizes only
 * when the bound does not fit in what is left of a limit.
 */
export function inputTokenBound(
  json: Record<string, unknown> | undefined,
  providerType: ProviderType,
): number {
  if (!json) return 0;
  const prompt = promptOf(json);
  return withOverhead(prompt.bytes, prompt, providerType);
}

/**
 * A conservative estimate of a request's prompt tokens, made before it goes upstream so a budget
 * reservation can hold its worst case: the larger of the o200k tokenizer's count and a quarter of
 * the text's UTF-8 bytes, plus per-message overhead (scaled up for Anthropic, see above).
 */
export async function estimateInputTokens(
  json: Record<string, unknown> | undefined,
  providerType: ProviderType,
): Promise<number> {
  if (!json) return 0;
  const prompt = promptOf(json);
  const countTokens = await loadTokenizer();
  const counted = Math.max(countTokens(prompt.texts.join('\n')), Math.ceil(prompt.bytes / 4));
  return withOverhead(counted, prompt, providerType);
}

/** Tokens of text the client actually received, for a stream cut off before its usage report. */
export async function countDeliveredTokens(text: string): Promise<number> {
  return text.length === 0 ? 0 : (await loadTokenizer())(text);
}

function withOverhead(textTokens: number, prompt: Prompt, providerType: ProviderType): number {
  const { messages, images } = prompt;
  const tokens = textTokens + messages * PER_MESSAGE + (messages > 0 ? PRIMING : 0) + images * PER_IMAGE;
  return providerType === 'anthropic' ? Math.ceil(tokens * ANTHROPIC_FACTOR) : tokens;
}

function promptOf(json: Record<string, unknown>): Prompt {
  const prompt: Prompt = { texts: [], bytes: 0, messages: 0, images: 0 };
  const collect = (value: unknown, depth: number): void => {
    if (depth > 12 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      if (prompt.texts.length > 0) prompt.bytes += 1;
      prompt.texts.push(value);
      prompt.bytes += Buffer.byteLength(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) collect(item, depth + 1);
      return;
    }
    if (typeof value !== 'object') return;
    const part = value as Record<string, unknown>;
    if (part.type === 'image_url' || part.type === 'image' || part.type === 'input_image') {
      prompt.images++;
      return;
    }
    for (const field in part) {
      // Identifiers and settings are not prompt text; everything else (content, tools, schemas) is.
      if (field === 'model' || field === 'role' || field === 'type' || field === 'id') continue;
      collect(part[field], depth + 1);
    }
  };
  for (const field of PROMPT_FIELDS) {
    const value = json[field];
    if (field === 'messages' && Array.isArray(value)) prompt.messages = value.length;
    collect(value, 0);
  }
  return prompt;
}
