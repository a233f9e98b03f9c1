import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Registry } from 'prom-client';
import type { AdminServices } from '../admin/admin-services.js';
import { GatewayError } from '../domain/errors.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import { adminApi } from './admin/admin-api.js';
import { type DelegateRoutesDeps, delegateRoutes } from './delegate-routes.js';
import { errorBody } from './error-envelopes.js';
import { type ProxyRoutesDeps, proxyRoutes } from './proxy-routes.js';

export interface HttpServerDeps {
  logger: Logger;
  admin: AdminServices;
  proxy: ProxyRoutesDeps;
  delegation?: DelegateRoutesDeps;
  metrics: Registry;
  trustProxy: boolean;
  version: string;
  /** True once shutdown began: requests still arriving on open connections get a 503. */
  isClosing: () => boolean;
}

/** One Fastify app on one port: the proxy, the admin API and the landing page. */
export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request access logs would cost the hot path; usage events already record every request.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy,
    genReqId: () => newId('req'),
    // Admin bodies are small; the proxy scope sets its own (larger) limit.
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
    // Answered by the hook below instead, in the caller's error format.
    return503OnClosing: false,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (deps.isClosing()) {
      reply.header('connection', 'close');
      throw new GatewayError('shutting_down', 'keywarden is shutting down; retry on another instance');
    }
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'keywarden admin API',
        version: deps.version,
        description:
          'Providers, projects, keys, usage and admin tokens. Authenticate with Authorization: Bearer kwa_...',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ adminToken: [] }],
    },
  });

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send(errorBody(new GatewayError('not_found', 'no such route'), 'admin'));
  });

  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/json').send({
      service: 'keywarden',
      version: deps.version,
      admin_api: '/admin/v1',
      openapi: '/admin/v1/openapi.json',
      proxy: { openai_sdk_base_url: '/v1', by_provider: '/{provider}/v1/...' },
    }),
  );
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  await app.register((scope) => adminApi(scope, deps.admin), { prefix: '/admin/v1' });
  const delegation = deps.delegation;
  if (delegation) await app.register((scope) => delegateRoutes(scope, delegation));
  await app.register((scope) => proxyRoutes(scope, deps.proxy));
  return app;
}
