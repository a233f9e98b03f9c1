import type { FastifyInstance } from 'fastify';
import type { GithubLeakReports } from '../admin/github-leak-reports.js';
import { errorBody } from './error-envelopes.js';
import { toGatewayError } from './to-gateway-error.js';

/**
 * `POST /leak-reports/github`: GitHub's secret scanning partner program posts exposed tokens
 * here. No admin token: the ECDSA signature over the raw body is the authentication, so the body
 * is kept as bytes (re-serialising JSON would break the signature).
 */
export async function leakReportRoutes(app: FastifyInstance, reports: GithubLeakReports): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'internal_error') request.log.error({ err: error }, 'leak report failed');
    else request.log.warn({ code: gatewayError.code }, `leak report refused: ${gatewayError.message}`);
    reply.code(gatewayError.status).send(errorBody(gatewayError, 'admin'));
  });

  app.post('/leak-reports/github', { schema: { hide: true } }, async (request) => {
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return reports.handle(body, {
      keyId: header('github-public-key-identifier'),
      signature: header('github-public-key-signature'),
    });
  });
}
