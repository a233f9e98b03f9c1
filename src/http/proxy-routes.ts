import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './error-envelopes.js';
import type { ProxyCall, ProxyRoutesDeps } from './proxy-responder.js';
import { toGatewayError } from './to-gateway-error.js';

export const PROXY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * `/v1/...` and `/{provider}/...` as Fastify routes: the requests the front door leaves to Fastify
 * (percent-encoded paths, unusual content types, unknown provider names). Bodies are read as raw
 * bytes (never re-parsed by Fastify); the answer is written by the shared responder.
 */
export async function proxyRoutes(
  app: FastifyInstance,
  deps: Pick<ProxyRoutesDeps, 'dialectOf' | 'maxBodyBytes'> & {
    respond: (call: ProxyCall) => Promise<void>;
  },
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes },
    (_request, body, done) => {
      done(null, body);
    },
  );

  const providerOf = (request: FastifyRequest): string | null =>
    (request.params as { provider?: string }).provider ?? null;

  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'internal_error') request.log.error({ err: error }, 'proxy request failed');
    reply.code(gatewayError.status).send(errorBody(gatewayError, deps.dialectOf(providerOf(request))));
  });

  const handler = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return deps.respond({
      requestId: request.id,
      method: request.method,
      providerName: providerOf(request),
      wildcard: (request.params as { '*': string })['*'],
      query,
      headers: request.headers,
      body: request.body instanceof Buffer ? request.body : undefined,
      clientIp: request.ip,
      res: reply.raw,
    });
  };

  app.route({ method: [...PROXY_METHODS], url: '/v1/*', handler, schema: { hide: true } });
  app.route({ method: [...PROXY_METHODS], url: '/:provider/*', handler, schema: { hide: true } });
}
