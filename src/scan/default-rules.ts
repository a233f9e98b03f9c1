import type { RuleSpec } from './rules.js';

/**
 * The rules keywarden ships with, as plain data in the format documented in docs/scan-rules.md
 * (a user's `--rules FILE` has the same shape and adds to or replaces these by id).
 *
 * `anchor` is the literal text every match starts with; the matcher searches all anchors in one
 * pass and runs a rule's `pattern` only where its anchor was seen. Rules for keys without a
 * prefix anchor on a keyword (`anchor_case_insensitive`) and capture the key in `(?<secret>...)`.
 */
export const DEFAULT_RULES: readonly RuleSpec[] = [
  {
    id: 'keywarden-key',
    description: 'keywarden virtual key (checksum verified)',
    severity: 'critical',
    anchor: 'kw_',
    pattern: 'kw_[A-Za-z0-9]{38}',
    validate: 'keywarden-key',
  },
  {
    id: 'keywarden-admin-token',
    description: 'keywarden admin token (checksum verified)',
    severity: 'critical',
    anchor: 'kwa_',
    pattern: 'kwa_[A-Za-z0-9]{38}',
    validate: 'keywarden-admin',
  },
  {
    id: 'openai-project-key',
    description: 'OpenAI project API key',
    severity: 'critical',
    anchor: 'sk-proj-',
    pattern: 'sk-proj-[A-Za-z0-9_-]{40,250}',
  },
  {
    id: 'openai-service-account-key',
    description: 'OpenAI service account key',
    severity: 'critical',
    anchor: 'sk-svcacct-',
    pattern: 'sk-svcacct-[A-Za-z0-9_-]{40,250}',
  },
  {
    id: 'openai-admin-key',
    description: 'OpenAI admin key',
    severity: 'critical',
    anchor: 'sk-admin-',
    pattern: 'sk-admin-[A-Za-z0-9_-]{40,250}',
  },
  {
    id: 'anthropic-api-key',
    description: 'Anthropic API key',
    severity: 'critical',
    anchor: 'sk-ant-api03-',
    pattern: 'sk-ant-api03-[A-Za-z0-9_-]{80,120}',
  },
  {
    id: 'anthropic-admin-key',
    description: 'Anthropic admin key',
    severity: 'critical',
    anchor: 'sk-ant-admin01-',
    pattern: 'sk-ant-admin01-[A-Za-z0-9_-]{80,120}',
  },
  {
    id: 'openrouter-api-key',
    description: 'OpenRouter API key',
    severity: 'high',
    anchor: 'sk-or-v1-',
    pattern: 'sk-or-v1-[a-f0-9]{64}',
  },
  {
    id: 'openai-legacy-key',
    description: 'OpenAI API key (legacy format)',
    severity: 'critical',
    anchor: 'sk-',
    pattern: 'sk-[A-Za-z0-9]{48}',
  },
  {
    id: 'deepseek-api-key',
    description: 'DeepSeek API key',
    severity: 'high',
    anchor: 'sk-',
    pattern: 'sk-[a-f0-9]{32}',
  },
  {
    id: 'google-ai-api-key',
    description: 'Google AI (Gemini) / Google Cloud API key',
    severity: 'high',
    anchor: 'AIza',
    pattern: 'AIza[A-Za-z0-9_-]{35}',
  },
  {
    id: 'groq-api-key',
    description: 'Groq API key',
    severity: 'high',
    anchor: 'gsk_',
    pattern: 'gsk_[A-Za-z0-9]{52}',
  },
  {
    id: 'xai-api-key',
    description: 'xAI (Grok) API key',
    severity: 'high',
    anchor: 'xai-',
    pattern: 'xai-[A-Za-z0-9]{80}',
  },
  {
    id: 'huggingface-token',
    description: 'Hugging Face access token',
    severity: 'high',
    anchor: 'hf_',
    pattern: 'hf_[A-Za-z]{34}',
  },
  {
    id: 'perplexity-api-key',
    description: 'Perplexity API key',
    severity: 'high',
    anchor: 'pplx-',
    pattern: 'pplx-[A-Za-z0-9]{48}',
  },
  {
    id: 'replicate-api-token',
    description: 'Replicate API token',
    severity: 'high',
    anchor: 'r8_',
    pattern: 'r8_[A-Za-z0-9]{37}',
  },
  {
    id: 'together-api-key',
    description: 'Together AI API key',
    severity: 'high',
    anchor: 'tgp_v1_',
    pattern: 'tgp_v1_[A-Za-z0-9_-]{43}',
  },
  {
    id: 'fireworks-api-key',
    description: 'Fireworks AI API key',
    severity: 'high',
    anchor: 'fw_',
    pattern: 'fw_[A-Za-z0-9]{24,28}',
  },
  {
    id: 'aws-access-key-id',
    description: 'AWS access key id',
    severity: 'high',
    anchor: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: 'A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}',
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key (next to its variable name)',
    severity: 'critical',
    anchor: 'aws_secret',
    anchor_case_insensitive: true,
    pattern:
      'aws_secret(?:_access)?_key[\'"]?\\s*[:=]\\s*[\'"]?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])',
    flags: 'i',
  },
  {
    id: 'mistral-api-key',
    description: 'Mistral AI API key (next to its variable name)',
    severity: 'high',
    anchor: 'mistral',
    anchor_case_insensitive: true,
    pattern: 'mistral[a-z_.-]{0,20}[\'"]?\\s*[:=]\\s*[\'"]?(?<secret>[A-Za-z0-9]{32})',
    flags: 'i',
  },
  {
    id: 'cohere-api-key',
    description: 'Cohere API key (next to its variable name)',
    severity: 'high',
    anchor: ['cohere', 'co_api_key'],
    anchor_case_insensitive: true,
    pattern: '(?:cohere[a-z_.-]{0,20}|co_api_key)[\'"]?\\s*[:=]\\s*[\'"]?(?<secret>[A-Za-z0-9]{40})',
    flags: 'i',
  },
  {
    id: 'together-legacy-api-key',
    description: 'Together AI API key, legacy hex format (next to its variable name)',
    severity: 'high',
    anchor: 'together',
    anchor_case_insensitive: true,
    pattern: 'together[a-z_.-]{0,20}[\'"]?\\s*[:=]\\s*[\'"]?(?<secret>[a-f0-9]{64})',
    flags: 'i',
  },
];
