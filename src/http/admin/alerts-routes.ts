import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import type { AlertListInput } from '../../admin/alerts.js';
import { ALERT_TYPES } from '../../domain/alerts.js';
import { actorOf } from './actor-hook.js';
import { idParams } from './schemas.js';

export async function alertsRoutes(app: FastifyInstance, { alerts }: AdminServices): Promise<void> {
  app.get<{ Querystring: Omit<AlertListInput, 'limit'> & { limit?: string } }>(
    '/alerts',
    {
      schema: {
        summary: 'List alerts, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['open', 'acknowledged', 'all'] },
            key: { type: 'string', minLength: 1, maxLength: 128 },
            project: { type: 'string', minLength: 1, maxLength: 128 },
            type: { type: 'string', enum: [...ALERT_TYPES] },
            before: { type: 'string', maxLength: 64 },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' },
          },
        },
      },
    },
    async (request) => {
      const { limit, ...rest } = request.query;
      return alerts.list(actorOf(request), { ...rest, ...(limit !== undefined && { limit: Number(limit) }) });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/alerts/:id',
    { schema: { summary: 'Show an alert with its webhook delivery log', params: idParams } },
    async (request) => alerts.get(actorOf(request), request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/alerts/:id/ack',
    { schema: { summary: 'Acknowledge an alert', params: idParams } },
    async (request) => alerts.acknowledge(actorOf(request), request.params.id),
  );
}
