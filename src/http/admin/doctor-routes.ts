import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import { actorOf } from './actor-hook.js';

export async function doctorRoutes(app: FastifyInstance, { doctor }: AdminServices): Promise<void> {
  app.get<{ Querystring: { project?: string } }>(
    '/doctor',
    {
      schema: {
        summary: 'Security posture: a score and the fixes to apply',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { project: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
    },
    async (request) => doctor.report(actorOf(request), request.query),
  );
}
