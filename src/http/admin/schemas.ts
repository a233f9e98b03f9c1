import { BUDGET_PERIODS } from '../../domain/records.js';

/** JSON schemas shared by the admin routes; Fastify validates with them and @fastify/swagger documents them. */

const stringList = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 256 },
  maxItems: 1000,
} as const;
const count = { type: 'integer', minimum: 1, maximum: 1_000_000_000 } as const;

export const nameSchema = { type: 'string', minLength: 1, maxLength: 64 } as const;
export const timestampSchema = { type: ['string', 'null'], maxLength: 64 } as const;

export const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rpm: count,
    tpm: count,
    concurrency: count,
    max_tokens: count,
    max_tokens_mode: { type: 'string', enum: ['reject', 'clamp'] },
    budgets: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['usd', 'period'],
        properties: {
          usd: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000_000 },
          period: { type: 'string', enum: [...BUDGET_PERIODS] },
          soft: { type: 'boolean' },
          alert_at: {
            type: 'array',
            maxItems: 10,
            items: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
          },
        },
      },
    },
  },
} as const;

export const scopesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { providers: stringList, models: stringList, endpoints: stringList },
} as const;

export const ipAllowSchema = {
  type: ['array', 'null'],
  items: { type: 'string', maxLength: 64 },
  maxItems: 1000,
} as const;

/** A rotation policy, on keys and projects. */
export const rotationPolicySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['max_age_seconds'],
  properties: {
    max_age_seconds: { type: 'integer', minimum: 60, maximum: 10 * 365 * 86_400 },
    grace_seconds: { type: 'integer', minimum: 0, maximum: 365 * 86_400 },
    auto_rotate: { type: 'boolean' },
    sink: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { type: 'string', enum: ['webhook', 'vault'] },
        url: { type: 'string', maxLength: 2048 },
        signing_secret_ref: { type: 'string', maxLength: 1024 },
        path: { type: 'string', maxLength: 1024 },
      },
      additionalProperties: false,
      oneOf: [
        { properties: { type: { const: 'webhook' } }, required: ['url', 'signing_secret_ref'] },
        { properties: { type: { const: 'vault' } }, required: ['path'] },
      ],
    },
  },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export const errorResponse = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
    },
  },
} as const;
