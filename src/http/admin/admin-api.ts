import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import { GatewayError } from '../../domain/errors.js';
import { hashSecret } from '../../domain/key-format.js';
import type { AuthThrottle } from '../auth-throttle.js';
import { errorBody } from '../error-envelopes.js';
import { limitJsonDepth } from '../hardening.js';
import { toGatewayError } from '../to-gateway-error.js';
import { bearerOf } from './actor-hook.js';
import { adminTokensRoutes } from './admin-tokens-routes.js';
import { alertsRoutes } from './alerts-routes.js';
import { auditRoutes } from './audit-routes.js';
import { doctorRoutes } from './doctor-routes.js';
import { keysRoutes } from './keys-routes.js';
import { leaksRoutes } from './leaks-routes.js';
import { projectsRoutes } from './projects-routes.js';
import { providersRoutes } from './providers-routes.js';
import { usageRoutes } from './usage-routes.js';

/** `/admin/v1`: every route needs an admin token; every error is `{"error":{"code","message","field"}}`. */
export async function adminApi(
  app: FastifyInstance,
  services: AdminServices,
  options: {
    throttle: AuthThrottle;
    maxJsonDepth: number;
    /** The dashboard's alternative to the bearer token: the admin token behind a session cookie. */
    sessionToken?: (request: FastifyRequest) => string | undefined;
  },
): Promise<void> {
  app.decorateRequest('actor', undefined);
  limitJsonDepth(app, options.maxJsonDepth);

  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'internal_error') request.log.error({ err: error }, 'admin request failed');
    for (const [name, value] of Object.entries(gatewayError.headers ?? {})) reply.header(name, value);
    reply.code(gatewayError.status).send(errorBody(gatewayError, 'admin'));
  });

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === '/admin/v1/openapi.json') return;
    const bearer = bearerOf(request);
    const bearerHash = bearer === undefined ? undefined : hashSecret(bearer);
    const wait = options.throttle.retryAfter(request.ip, bearerHash);
    if (wait > 0) {
      throw new GatewayError('rate_limited', 'too many failed sign-ins from this address; retry later', {
        headers: { 'retry-after': String(wait) },
      });
    }
    try {
      request.actor = await services.adminTokens.authenticate(bearer ?? options.sessionToken?.(request), {
        requestId: request.id,
        clientIp: request.ip,
      });
    } catch (error) {
      if (bearer) options.throttle.failed(request.ip);
      throw error;
    }
    if (bearerHash) options.throttle.succeeded(request.ip, bearerHash);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Unknown admin paths answer in the admin format, not as a proxy route for a provider named "admin".
  app.all('/*', { schema: { hide: true } }, async () => {
    throw new GatewayError('not_found', 'no such admin route');
  });

  await app.register(async (scope) => {
    await providersRoutes(scope, services);
    await projectsRoutes(scope, services);
    await keysRoutes(scope, services);
    await usageRoutes(scope, services);
    await adminTokensRoutes(scope, services);
    await leaksRoutes(scope, services);
    await alertsRoutes(scope, services);
    await auditRoutes(scope, services);
    await doctorRoutes(scope, services);
  });
}
