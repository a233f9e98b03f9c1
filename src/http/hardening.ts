import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonTooDeep } from '../domain/errors.js';
import { exceedsJsonDepth } from '../lib/json-walk.js';

/** Headers every answer of ours carries (streams from providers carry the provider's own). */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
} as const;

/** The API answers JSON only: nothing in it may load or run anything. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
/** What every API answer of ours carries, for shells that write the response themselves. */
export const API_HEADERS = { ...COMMON_HEADERS, 'content-security-policy': API_CSP } as const;
/** The dashboard loads its own scripts and styles and talks only to this origin. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** The dashboard's page (`/`), its built assets and its session endpoints. */
function isDashboardPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return (
    path === '/' || path === '/favicon.svg' || path.startsWith('/assets/') || path.startsWith('/dashboard')
  );
}

export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.headers(COMMON_HEADERS);
  reply.header('content-security-policy', isDashboardPath(request.url) ? DASHBOARD_CSP : API_CSP);
  if (request.url.startsWith('/admin/')) reply.header('cache-control', 'no-store');
}

/**
 * Admin bodies: JSON only, nested at most `maxDepth` levels, parsed with prototype-poisoning
 * protection (`__proto__` and `constructor.prototype` keys are refused).
 */
export function limitJsonDepth(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (exceedsJsonDepth(body as string, maxDepth)) {
      done(jsonTooDeep(maxDepth), undefined);
      return;
    }
    void parse(request, body as string, done);
  });
}
