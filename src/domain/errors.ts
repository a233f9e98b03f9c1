/**
 * The closed set of outcomes keywarden refuses a request with. Every code has exactly one HTTP
 * status and one category; the HTTP shell renders them in the caller's format (OpenAI, Anthropic
 * or admin JSON). Adding a code forces this table to say how it is answered.
 */
export type ErrorCategory =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'rate_limit'
  | 'upstream'
  | 'unavailable'
  | 'internal';

const CODES = {
  // client input
  validation_error: { status: 400, category: 'invalid_request' },
  invalid_model_name: { status: 400, category: 'invalid_request' },
  invalid_json: { status: 400, category: 'invalid_request' },
  no_default_provider: { status: 400, category: 'invalid_request' },
  max_tokens_exceeded: { status: 400, category: 'invalid_request' },
  body_too_large: { status: 413, category: 'too_large' },
  // who is calling
  missing_api_key: { status: 401, category: 'authentication' },
  invalid_api_key: { status: 401, category: 'authentication' },
  key_revoked: { status: 401, category: 'authentication' },
  key_expired: { status: 401, category: 'authentication' },
  key_suspended: { status: 401, category: 'authentication' },
  key_rotated: { status: 401, category: 'authentication' },
  missing_admin_token: { status: 401, category: 'authentication' },
  invalid_admin_token: { status: 401, category: 'authentication' },
  invalid_signature: { status: 401, category: 'authentication' },
  // what they may do
  provider_not_allowed: { status: 403, category: 'permission' },
  model_not_allowed: { status: 403, category: 'permission' },
  endpoint_not_allowed: { status: 403, category: 'permission' },
  ip_not_allowed: { status: 403, category: 'permission' },
  forbidden: { status: 403, category: 'permission' },
  delegation_not_allowed: { status: 403, category: 'permission' },
  unpriced_model: { status: 403, category: 'permission' },
  // what they asked for
  not_found: { status: 404, category: 'not_found' },
  unknown_provider: { status: 404, category: 'not_found' },
  conflict: { status: 409, category: 'conflict' },
  // limits
  rate_limited: { status: 429, category: 'rate_limit' },
  budget_exceeded: { status: 429, category: 'rate_limit' },
  // upstream and us
  upstream_unreachable: { status: 502, category: 'upstream' },
  upstream_credential_unavailable: { status: 502, category: 'upstream' },
  upstream_timeout: { status: 504, category: 'upstream' },
  upstream_address_refused: { status: 502, category: 'upstream' },
  shutting_down: { status: 503, category: 'unavailable' },
  store_unavailable: { status: 503, category: 'unavailable' },
  counters_unavailable: { status: 503, category: 'unavailable' },
  internal_error: { status: 500, category: 'internal' },
} as const satisfies Record<string, { status: number; category: ErrorCategory }>;

export type ErrorCode = keyof typeof CODES;

export const ERROR_CODES = Object.keys(CODES) as ErrorCode[];

export function statusOf(code: ErrorCode): number {
  return CODES[code].status;
}

export function categoryOf(code: ErrorCode): ErrorCategory {
  return CODES[code].category;
}

/** An expected refusal, carried as a value or thrown across layers and rendered by the HTTP shell. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.field = options.field;
    this.headers = options.headers;
  }

  get status(): number {
    return statusOf(this.code);
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}

/** A 400 that names the offending field, as the admin API promises. */
export function invalidField(field: string, message: string): GatewayError {
  return new GatewayError('validation_error', `${field}: ${message}`, { field });
}

/** The refusal of a JSON body nested deeper than `maxDepth` levels, on the proxy and the admin API. */
export function jsonTooDeep(maxDepth: number): GatewayError {
  return new GatewayError('invalid_json', `the JSON body is nested deeper than ${maxDepth} levels`);
}
