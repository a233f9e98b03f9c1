import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { categoryOf, GatewayError } from '../domain/errors.js';
import { hashSecret } from '../domain/key-format.js';
import { CancelSignal } from '../lib/cancel-signal.js';
import type { Logger } from '../lib/logger.js';
import { presentedKey } from '../proxy/authenticate/authenticate-key.js';
import type { ProxyReply, ProxyRequest } from '../proxy/pipeline.js';
import type { Dialect } from '../proxy/upstream/providers/provider-adapter.js';
import type { AuthThrottle } from './auth-throttle.js';
import { errorBody } from './error-envelopes.js';
import { API_HEADERS } from './hardening.js';
import { toGatewayError } from './to-gateway-error.js';

export interface ProxyRoutesDeps {
  handle: (request: ProxyRequest) => Promise<ProxyReply>;
  /** The error dialect for a provider name (null: the `/v1` routes), before any key is known. */
  dialectOf: (providerName: string | null) => Dialect;
  maxBodyBytes: number;
  /** Every proxied request until its last byte is written, so shutdown can wait for them. */
  inFlight: Set<Promise<void>>;
}

/** One proxied request, already read and routed by an HTTP shell. */
export interface ProxyCall {
  requestId: string;
  method: string;
  /** From `/{provider}/...`; null for `/v1/...`. */
  providerName: string | null;
  /** The decoded path after the prefix (`chat/completions`). */
  wildcard: string;
  /** `?...` as sent, or empty. */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  clientIp: string;
  res: ServerResponse;
}

/**
 * Serves a proxied request on the raw response: throttle, pipeline, then the answer written
 * straight to the socket (a stream reaches the client chunk by chunk). Both HTTP shells (the lean
 * front door and the Fastify routes behind it) end here, so every proxied answer is written one way.
 */
export function createProxyResponder(
  deps: ProxyRoutesDeps & {
    /** Slows clients that keep presenting keys that do not work. */
    throttle: AuthThrottle;
    logger: Logger;
  },
): (call: ProxyCall) => Promise<void> {
  const serve = async (call: ProxyCall, cancel: CancelSignal): Promise<void> => {
    const { res, requestId, providerName } = call;
    if (!isSafePath(call.wildcard)) {
      const error = new GatewayError(
        'validation_error',
        'the path holds control characters or "." / ".." segments',
        { field: 'path' },
      );
      writeRefusal(res, requestId, error, deps.dialectOf(providerName));
      return;
    }
    const credential = presentedKey(call.headers);
    // Hashed once here: the throttle and authentication both work on the hash.
    const credentialHash = credential === undefined ? undefined : hashSecret(credential);
    const wait = deps.throttle.retryAfter(call.clientIp, credentialHash);
    if (wait > 0) {
      const error = new GatewayError(
        'rate_limited',
        'too many failed authentications from this address; retry later',
        { headers: { 'retry-after': String(wait) } },
      );
      writeRefusal(res, requestId, error, deps.dialectOf(providerName));
      return;
    }
    const result = await deps.handle({
      requestId,
      method: call.method,
      providerName,
      path: `${providerName === null ? '/v1/' : '/'}${encodePath(call.wildcard)}${call.query}`,
      headers: call.headers,
      body: call.body,
      clientIp: call.clientIp,
      signal: cancel,
      credentialHash,
    });
    if (credentialHash) {
      const authFailed = result.kind === 'refused' && categoryOf(result.error.code) === 'authentication';
      if (authFailed) deps.throttle.failed(call.clientIp);
      else deps.throttle.succeeded(call.clientIp, credentialHash);
    }
    switch (result.kind) {
      case 'refused':
        writeRefusal(res, requestId, result.error, result.dialect);
        return;
      case 'json':
        writeJson(res, requestId, result.status, result.body, result.headers);
        return;
    }
    // The reply's headers are this request's own object: add to it rather than copy it.
    result.headers['x-request-id'] = requestId;
    res.writeHead(result.status, result.headers);
    if (result.kind === 'buffer') {
      res.end(result.body);
      return;
    }
    const error = await result.body.deliverTo(res);
    if (error && !cancel.aborted) deps.logger.warn({ reqId: requestId, err: error }, 'stream ended early');
  };

  return (call) => {
    const cancel = new CancelSignal();
    call.res.on('close', () => {
      if (!call.res.writableFinished) cancel.abort();
    });
    const done = serve(call, cancel).catch((error: unknown) => {
      // A client that hangs up abandons its upstream call, which then fails: expected, not an error.
      if (cancel.aborted) {
        deps.logger.debug({ reqId: call.requestId, err: error }, 'client went away before the answer');
        return;
      }
      deps.logger.error({ reqId: call.requestId, err: error }, 'proxy request failed');
      if (!call.res.headersSent) {
        writeRefusal(call.res, call.requestId, toGatewayError(error), deps.dialectOf(call.providerName));
      } else call.res.destroy();
    });
    deps.inFlight.add(done);
    return done.then(() => {
      deps.inFlight.delete(done);
    });
  };
}

/** A refusal of ours in the caller's dialect, with the API's security headers. */
export function writeRefusal(
  res: ServerResponse,
  requestId: string,
  error: GatewayError,
  dialect: Dialect,
  extraHeaders?: OutgoingHttpHeaders,
): void {
  writeJson(res, requestId, error.status, errorBody(error, dialect), { ...error.headers, ...extraHeaders });
}

function writeJson(
  res: ServerResponse,
  requestId: string,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...API_HEADERS,
    ...headers,
    'x-request-id': requestId,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The decoded path after the provider prefix goes upstream as-is, so it may not climb out of the
 * provider's base path (`..`, also spelled `%2e%2e`) or smuggle control characters.
 */
function isSafePath(path: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return false;
  return !path.split('/').some((segment) => segment === '..' || segment === '.');
}

/** The path arrives decoded; it goes upstream encoded again, so `?`, `#` and spaces stay path text. */
function encodePath(path: string): string {
  return encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23');
}
