import type { FastifyInstance } from 'fastify';
import { assertCanWrite } from '../../admin/actor.js';
import type { AdminServices } from '../../admin/admin-services.js';
import { actorOf } from './actor-hook.js';

interface LeaksBody {
  source?: string;
  reports: Array<{ token_hash: string; location?: string | null }>;
}

/** `POST /admin/v1/leaks`: revoke keys and admin tokens found exposed, by the SHA-256 of the secret. */
export async function leaksRoutes(app: FastifyInstance, { leaks }: AdminServices): Promise<void> {
  app.post<{ Body: LeaksBody }>(
    '/leaks',
    {
      schema: {
        summary: 'Report leaked secrets by hash: the live ones are revoked, with where they were found',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reports'],
          properties: {
            source: { type: 'string', minLength: 1, maxLength: 200 },
            reports: {
              type: 'array',
              maxItems: 1000,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['token_hash'],
                properties: {
                  token_hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
                  location: { type: ['string', 'null'], maxLength: 2000 },
                },
              },
            },
          },
        },
      },
    },
    async (request) => {
      assertCanWrite(actorOf(request));
      const results = await leaks.revokeLeaked(
        request.body.reports.map((r) => ({ secretHash: r.token_hash, location: r.location ?? null })),
        request.body.source ?? 'admin API',
      );
      return {
        data: results.map((r) => ({
          token_hash: r.secretHash,
          outcome: r.outcome,
          kind: r.kind,
          id: r.id,
          location: r.location,
          reason: r.reason,
        })),
      };
    },
  );
}
