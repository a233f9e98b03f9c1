import type { ProviderType } from '../../../domain/records.js';
import { anthropicAdapter } from './anthropic.js';
import { openAiAdapter, openAiCompatibleAdapter } from './openai.js';
import type { ProviderAdapter } from './provider-adapter.js';

export const ADAPTERS: Record<ProviderType, ProviderAdapter> = {
  openai: openAiAdapter,
  anthropic: anthropicAdapter,
  'openai-compatible': openAiCompatibleAdapter,
};
