import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import type { AuditQueryInput } from '../../admin/audit-admin.js';
import { actorOf } from './actor-hook.js';

const filter = { type: 'string', minLength: 1, maxLength: 128 } as const;

export async function auditRoutes(app: FastifyInstance, { audit }: AdminServices): Promise<void> {
  app.get<{ Querystring: AuditQueryInput }>(
    '/audit',
    {
      schema: {
        summary: 'The audit trail, oldest first; page with after=next_cursor',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            actor: filter,
            action: filter,
            target: filter,
            project: filter,
            from: { type: 'string', maxLength: 64 },
            to: { type: 'string', maxLength: 64 },
            after: { type: 'string', maxLength: 20 },
            limit: { type: 'string', maxLength: 10 },
          },
        },
      },
    },
    async (request) => audit.list(actorOf(request), request.query),
  );

  app.get(
    '/audit/verify',
    { schema: { summary: 'Check the hash chain; problems name the entries where it breaks' } },
    async (request) => audit.verify(actorOf(request)),
  );
}
