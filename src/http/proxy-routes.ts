import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { categoryOf, GatewayError } from '../domain/errors.js';
import { hashSecret } from '../domain/key-format.js';
import { CancelSignal } from '../lib/cancel-signal.js';
import { exceedsJsonDepth } from '../lib/json-depth.js';
import { presentedKey } from '../proxy/authenticate/authenticate-key.js';
import type { ProxyReply, ProxyRequest } from '../proxy/pipeline.js';
import type { Dialect } from '../proxy/upstream/providers/provider-adapter.js';
import type { AuthThrottle } from './auth-throttle.js';
import { errorBody } from './error-envelopes.js';
import { toGatewayError } from './to-gateway-error.js';

export interface ProxyRoutesDeps {
  handle: (request: ProxyRequest) => Promise<ProxyReply>;
  /** The error dialect for a provider name (null: the `/v1` routes), before any key is known. */
  dialectOf: (providerName: string | null) => Dialect;
  maxBodyBytes: number;
  /** Every proxied request until its last byte is written, so shutdown can wait for them. */
  inFlight: Set<Promise<void>>;
}

export interface ProxyHardening {
  /** Slows clients that keep presenting keys that do not work. */
  throttle: AuthThrottle;
  /** Deepest nesting accepted in a JSON body. */
  maxJsonDepth: number;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * `/v1/...` and `/{provider}/...`: the HTTP shell of the proxy pipeline. Bodies are read as raw
 * bytes (never re-parsed by Fastify) and replies are written straight to the socket, so a stream
 * reaches the client chunk by chunk.
 */
export async function proxyRoutes(
  app: FastifyInstance,
  deps: ProxyRoutesDeps & ProxyHardening,
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (req, body, done) => {
    const json = String(req.headers['content-type'] ?? '').includes('json');
    if (json && exceedsJsonDepth(body as Buffer, deps.maxJsonDepth)) {
      done(
        new GatewayError('invalid_json', `the JSON body is nested deeper than ${deps.maxJsonDepth} levels`),
      );
      return;
    }
    done(null, body);
  });

  const providerOf = (request: FastifyRequest): string | null =>
    (request.params as { provider?: string }).provider ?? null;

  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'internal_error') request.log.error({ err: error }, 'proxy request failed');
    reply.code(gatewayError.status).send(errorBody(gatewayError, deps.dialectOf(providerOf(request))));
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const done = forward(request, reply);
    const tracked = done.then(
      () => undefined,
      () => undefined,
    );
    deps.inFlight.add(tracked);
    try {
      return await done;
    } finally {
      deps.inFlight.delete(tracked);
    }
  };

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const providerName = providerOf(request);
    const wildcard = (request.params as { '*': string })['*'];
    if (!isSafePath(wildcard)) {
      throw new GatewayError('validation_error', 'the path holds control characters or "." / ".." segments', {
        field: 'path',
      });
    }
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const cancel = new CancelSignal();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) cancel.abort();
    });
    const credential = presentedKey(request.headers);
    // Hashed once here: the throttle and authentication both work on the hash.
    const credentialHash = credential === undefined ? undefined : hashSecret(credential);
    const wait = deps.throttle.retryAfter(request.ip, credentialHash);
    if (wait > 0) {
      const error = new GatewayError(
        'rate_limited',
        'too many failed authentications from this address; retry later',
        {
          headers: { 'retry-after': String(wait) },
        },
      );
      return reply
        .code(error.status)
        .headers(error.headers ?? {})
        .send(errorBody(error, deps.dialectOf(providerName)));
    }
    const result = await deps.handle({
      requestId: request.id,
      method: request.method,
      providerName,
      path: `${providerName === null ? '/v1/' : '/'}${encodePath(wildcard)}${query}`,
      headers: request.headers,
      body: request.body instanceof Buffer ? request.body : undefined,
      clientIp: request.ip,
      signal: cancel,
      credentialHash,
    });
    if (credentialHash) {
      const authFailed = result.kind === 'refused' && categoryOf(result.error.code) === 'authentication';
      if (authFailed) deps.throttle.failed(request.ip);
      else deps.throttle.succeeded(request.ip, credentialHash);
    }
    if (result.kind === 'refused') {
      for (const [name, value] of Object.entries(result.error.headers ?? {})) reply.header(name, value);
      return reply.code(result.error.status).send(errorBody(result.error, result.dialect));
    }
    if (result.kind === 'json') return reply.code(result.status).headers(result.headers).send(result.body);

    reply.hijack();
    const res = reply.raw;
    // The reply's headers are this request's own object: add to it rather than copy it.
    result.headers['x-request-id'] = request.id;
    res.writeHead(result.status, result.headers);
    if (result.kind === 'buffer') {
      res.end(result.body);
      return;
    }
    const error = await pipeToResponse(result.body, res);
    if (error && !cancel.aborted) request.log.warn({ err: error }, 'stream ended early');
  };

  app.route({ method: [...METHODS], url: '/v1/*', handler, schema: { hide: true } });
  app.route({ method: [...METHODS], url: '/:provider/*', handler, schema: { hide: true } });
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

/** Fastify hands the path decoded; it goes upstream encoded again, so `?`, `#` and spaces stay path text. */
function encodePath(path: string): string {
  return encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23');
}

/**
 * `body.pipe(res)` with the clean-up `stream.pipeline` would do, without its per-call AbortController
 * (on Node 20 every finished pipeline builds a DOMException, a measurable share of a request's CPU).
 * Resolves once the response is closed, with the body's error if it failed.
 */
function pipeToResponse(body: Readable, res: ServerResponse): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let failure: Error | undefined;
    body.once('error', (error) => {
      failure = error;
      res.destroy(error);
    });
    res.once('close', () => {
      if (!body.destroyed) body.destroy();
      resolve(failure ?? (res.writableFinished ? undefined : new Error('the client closed the connection')));
    });
    body.pipe(res);
  });
}
