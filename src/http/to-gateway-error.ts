import { GatewayError } from '../domain/errors.js';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: { instancePath?: string; params?: Record<string, unknown>; message?: string }[];
  validationContext?: string;
  message?: string;
}

/**
 * Errors raised by Fastify itself (schema validation, body limits, bad JSON) as GatewayErrors, so
 * one renderer answers everything. Anything unrecognised is an internal error with a generic message:
 * its details go to the log, never to the client.
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const e = (error ?? {}) as FastifyLikeError;
  if (e.validation?.length) {
    const first = e.validation[0] ?? {};
    const missing = first.params?.missingProperty ?? first.params?.additionalProperty;
    const path = (first.instancePath ?? '')
      .replace(/^\//, '')
      .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
      .replaceAll('/', '.');
    const field =
      [path, typeof missing === 'string' ? missing : ''].filter(Boolean).join('.') ||
      e.validationContext ||
      'body';
    const detail = first.params?.additionalProperty
      ? 'is not a known field'
      : first.params?.missingProperty
        ? 'is required'
        : (first.message ?? 'is invalid');
    return new GatewayError('validation_error', `${field}: ${detail}`, { field });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('body_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('validation_error', 'send the body as application/json', {
        field: 'content-type',
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('validation_error', 'content-length does not match the body', {
        field: 'content-length',
      });
  }
  if (e.statusCode === 404) return new GatewayError('not_found', 'no such route');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new GatewayError('validation_error', e.message ?? 'bad request');
  }
  return new GatewayError('internal_error', 'internal error');
}
