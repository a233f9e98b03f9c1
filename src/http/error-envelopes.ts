import { categoryOf, type ErrorCategory, type GatewayError } from '../domain/errors.js';
import type { Dialect } from '../proxy/upstream/providers/provider-adapter.js';

/** OpenAI's `error.type` for each category, as its SDK maps them to exception classes. */
const OPENAI_TYPE: Record<ErrorCategory, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  conflict: 'invalid_request_error',
  too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  upstream: 'api_error',
  unavailable: 'api_error',
  internal: 'api_error',
};

/** Anthropic's documented `error.type` values. */
const ANTHROPIC_TYPE: Record<ErrorCategory, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  conflict: 'invalid_request_error',
  too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  upstream: 'api_error',
  unavailable: 'overloaded_error',
  internal: 'api_error',
};

/** The body of a refusal, shaped so the caller's SDK raises its usual exception. */
export function errorBody(error: GatewayError, dialect: Dialect | 'admin'): unknown {
  const category = categoryOf(error.code);
  switch (dialect) {
    case 'openai':
      return {
        error: {
          message: error.message,
          type: OPENAI_TYPE[category],
          param: error.field ?? null,
          code: error.code,
        },
      };
    case 'anthropic':
      return { type: 'error', error: { type: ANTHROPIC_TYPE[category], message: error.message } };
    case 'admin':
      return {
        error: {
          code: error.code,
          message: error.message,
          ...(error.field !== undefined && { field: error.field }),
        },
      };
  }
}
