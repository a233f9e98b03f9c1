import { createServer, type RequestListener } from 'node:http';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import type { AdminServices } from '../admin/admin-services.js';
import type { GithubLeakReports } from '../admin/github-leak-reports.js';
import type { Config } from '../config/config.js';
import { dashboardRoutes, sessionToken } from '../dashboard/dashboard-routes.js';
import type { Sessions } from '../dashboard/sessions.js';
import type { StaticFile } from '../dashboard/static-files.js';
import { GatewayError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import { adminApi } from './admin/admin-api.js';
import { type AuthThrottle, createAuthThrottle } from './auth-throttle.js';
import { DELEGATE_PATH, type DelegateRoutesDeps, delegateRoutes } from './delegate-routes.js';
import { errorBody } from './error-envelopes.js';
import { setSecurityHeaders } from './hardening.js';
import { lazyChildLogger } from './lazy-child-logger.js';
import { leakReportRoutes } from './leak-report-routes.js';
import { createProxyFrontDoor } from './proxy-front-door.js';
import { createProxyResponder, type ProxyRoutesDeps } from './proxy-responder.js';
import { proxyRoutes } from './proxy-routes.js';
import { toGatewayError } from './to-gateway-error.js';

export interface HttpServerDeps {
  logger: Logger;
  admin: AdminServices;
  proxy: ProxyRoutesDeps;
  delegation?: DelegateRoutesDeps;
  metrics: Registry;
  trustProxy: boolean;
  version: string;
  /** GitHub secret scanning partner reports (`POST /leak-reports/github`). */
  githubLeakReports?: GithubLeakReports;
  /** The dashboard's sessions and its built files (undefined when not built). */
  dashboard: { sessions: Sessions; files: Map<string, StaticFile> | undefined };
  /** True once shutdown began: requests still arriving on open connections get a 503. */
  isClosing: () => boolean;
  clock: Clock;
  /** Timeouts, JSON depth and failed-authentication budgets. */
  limits: Config['http'];
  /** `all` on one port; or the proxy and the admin side each on their own listener. */
  serves?: 'all' | 'proxy' | 'admin';
  /** Whether `/{name}/...` is a configured provider's prefix. */
  isProviderName: (name: string) => boolean;
}

/** One Fastify app on one port: the proxy, the admin API and the dashboard. */
export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const serves = deps.serves ?? 'all';
  const throttle = (): AuthThrottle =>
    createAuthThrottle(deps.clock, {
      burst: deps.limits.authFailureBurst,
      perMinute: deps.limits.authFailuresPerMinute,
    });
  const proxyThrottle = throttle();
  const respond = createProxyResponder({ ...deps.proxy, throttle: proxyThrottle, logger: deps.logger });
  const frontDoor =
    serves === 'admin'
      ? undefined
      : createProxyFrontDoor({
          respond,
          dialectOf: deps.proxy.dialectOf,
          isProviderName: deps.isProviderName,
          ownV1Paths: new Set(deps.delegation ? [DELEGATE_PATH] : []),
          isClosing: deps.isClosing,
          trustProxy: deps.trustProxy,
          maxBodyBytes: deps.proxy.maxBodyBytes,
        });

  const app = Fastify({
    // The server Fastify would build, with the proxy's front door ahead of Fastify's own handler.
    serverFactory: (fastifyHandler: RequestListener, options) => {
      const server = createServer(
        frontDoor
          ? (req, res) => {
              if (!frontDoor(req, res)) fastifyHandler(req, res);
            }
          : fastifyHandler,
      );
      const timeouts = options as {
        keepAliveTimeout: number;
        requestTimeout: number;
        connectionTimeout: number;
      };
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      // Slow clients: headers must arrive within this (slowloris); the whole request within requestTimeout.
      server.headersTimeout = Math.min(deps.limits.headersTimeoutMs, deps.limits.requestTimeoutMs);
      return server;
    },
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request access logs would cost the hot path; usage events already record every request.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy,
    genReqId: () => newId('req'),
    childLoggerFactory: lazyChildLogger,
    // Admin bodies are small; the proxy scope sets its own (larger) limit.
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
    // Answered by the hook below instead, in the caller's error format.
    return503OnClosing: false,
    // Malformed URLs and headers are refused by Fastify before any route: answer in the caller's shape.
    frameworkErrors: (error, request, reply) => {
      const dialect = request.url.startsWith('/admin/')
        ? 'admin'
        : request.url.startsWith('/anthropic/')
          ? 'anthropic'
          : 'openai';
      const refusal = toGatewayError(error);
      (reply as FastifyReply).code(refusal.status).send(errorBody(refusal, dialect));
    },
    connectionTimeout: deps.limits.idleTimeoutMs,
    requestTimeout: deps.limits.requestTimeoutMs,
  });
  const { sessions, files } = deps.dashboard;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    setSecurityHeaders(request, reply);
    if (deps.isClosing()) {
      reply.header('connection', 'close');
      throw new GatewayError('shutting_down', 'keywarden is shutting down; retry on another instance');
    }
  });

  if (serves !== 'proxy') {
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

    const landing = () => ({
      service: 'keywarden',
      version: deps.version,
      dashboard: '/',
      admin_api: '/admin/v1',
      openapi: '/admin/v1/openapi.json',
      proxy: { openai_sdk_base_url: '/v1', by_provider: '/{provider}/v1/...' },
    });
    await app.register((scope) =>
      dashboardRoutes(scope, {
        sessions,
        files,
        landing,
        authenticate: (token) => deps.admin.adminTokens.authenticate(token),
      }),
    );
  }
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  if (serves !== 'proxy') {
    const options = {
      throttle: throttle(),
      maxJsonDepth: deps.limits.adminMaxJsonDepth,
      sessionToken: (request: FastifyRequest) => sessionToken(sessions, request),
    };
    await app.register((scope) => adminApi(scope, deps.admin, options), { prefix: '/admin/v1' });
  }
  if (serves !== 'admin') {
    const delegation = deps.delegation;
    if (delegation) await app.register((scope) => delegateRoutes(scope, delegation));
    const { githubLeakReports } = deps;
    if (githubLeakReports) await app.register((scope) => leakReportRoutes(scope, githubLeakReports));
    await app.register((scope) => proxyRoutes(scope, { ...deps.proxy, respond }));
  }
  return app;
}
