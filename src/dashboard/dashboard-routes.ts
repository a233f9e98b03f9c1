import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../admin/actor.js';
import { GatewayError } from '../domain/errors.js';
import { errorBody } from '../http/error-envelopes.js';
import { toGatewayError } from '../http/to-gateway-error.js';
import { CSRF_HEADER, cookieValue, SESSION_COOKIE, type Sessions } from './sessions.js';
import type { StaticFile } from './static-files.js';

export interface DashboardDeps {
  sessions: Sessions;
  files: Map<string, StaticFile> | undefined;
  authenticate: (token: string | undefined) => Promise<Actor>;
  /** The JSON landing answer, for callers that ask for JSON. */
  landing: () => unknown;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The admin token a dashboard request carries through its session cookie, or undefined when it has
 * none. A state-changing request must also send the session's CSRF token in `x-csrf-token`.
 */
export function sessionToken(sessions: Sessions, request: FastifyRequest): string | undefined {
  const session = sessions.get(cookieValue(request.headers.cookie, SESSION_COOKIE));
  if (!session) return undefined;
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (!sessions.csrfMatches(session, typeof sent === 'string' ? sent : undefined)) {
      throw new GatewayError('forbidden', 'missing or wrong CSRF token; reload the dashboard');
    }
  }
  return session.token;
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** Sign-in, sign-out and the built single-page app at `/`. */
export async function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const hide = { schema: { hide: true } };
  app.setErrorHandler((error, _request, reply) => {
    const gatewayError = toGatewayError(error);
    reply.code(gatewayError.status).send(errorBody(gatewayError, 'admin'));
  });

  app.post<{ Body: { token?: unknown } }>('/dashboard/session', hide, async (request, reply) => {
    const token = typeof request.body?.token === 'string' ? request.body.token.trim() : undefined;
    const actor = await deps.authenticate(token);
    const session = deps.sessions.create(token ?? '');
    reply.header('set-cookie', cookie(request, session.id, 12 * 3600));
    return { csrf_token: session.csrf, role: actor.role };
  });

  app.get('/dashboard/session', hide, async (request) => {
    const session = deps.sessions.get(cookieValue(request.headers.cookie, SESSION_COOKIE));
    if (!session) throw new GatewayError('missing_admin_token', 'not signed in');
    const actor = await deps.authenticate(session.token);
    return { csrf_token: session.csrf, role: actor.role };
  });

  app.delete('/dashboard/session', hide, async (request, reply) => {
    sessionToken(deps.sessions, request);
    deps.sessions.destroy(cookieValue(request.headers.cookie, SESSION_COOKIE));
    reply.header('set-cookie', cookie(request, '', 0));
    return { signed_out: true };
  });

  const sendIndex = (reply: FastifyReply) => {
    const index = deps.files?.get('/index.html');
    if (!index) {
      return reply
        .type('text/plain; charset=utf-8')
        .send(
          'The dashboard is not built in this checkout: run `npm run build`. The admin API is at /admin/v1.',
        );
    }
    return reply.type(index.type).header('cache-control', 'no-cache').send(index.body);
  };

  app.get('/', hide, async (request, reply) => {
    const accept = request.headers.accept ?? '';
    if (accept.includes('application/json') && !accept.includes('text/html')) {
      return reply.type('application/json').send(deps.landing());
    }
    return sendIndex(reply);
  });

  app.get<{ Params: { '*': string } }>('/assets/*', hide, async (request, reply) => {
    const file = deps.files?.get(`/assets/${request.params['*']}`);
    if (!file) throw new GatewayError('not_found', 'no such file');
    // Built asset names carry a content hash, so they never change.
    return reply
      .type(file.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(file.body);
  });

  app.get('/favicon.svg', hide, async (_request, reply) => {
    const file = deps.files?.get('/favicon.svg');
    if (!file) throw new GatewayError('not_found', 'no such file');
    return reply.type(file.type).send(file.body);
  });
}
