import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import type { UsageQueryInput } from '../../admin/usage-admin.js';
import { USAGE_GROUPS } from '../../domain/usage.js';
import { actorOf } from './actor-hook.js';

const filter = { type: 'string', minLength: 1, maxLength: 128 } as const;

export async function usageRoutes(app: FastifyInstance, { usage }: AdminServices): Promise<void> {
  app.get<{ Querystring: UsageQueryInput }>(
    '/usage',
    {
      schema: {
        summary: 'Usage totals and groups; key and project filters take ids or names',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            key: filter,
            project: filter,
            model: filter,
            provider: filter,
            parent: filter,
            from: { type: 'string', maxLength: 64 },
            to: { type: 'string', maxLength: 64 },
            group_by: { type: 'string', enum: [...USAGE_GROUPS] },
          },
        },
      },
    },
    async (request) => usage.query(actorOf(request), request.query),
  );
}
