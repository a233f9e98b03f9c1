import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import type { CreateAdminTokenInput } from '../../admin/admin-tokens-admin.js';
import { ADMIN_ROLES } from '../../domain/records.js';
import { actorOf } from './actor-hook.js';
import { idParams, nameSchema, timestampSchema } from './schemas.js';

export async function adminTokensRoutes(app: FastifyInstance, { adminTokens }: AdminServices): Promise<void> {
  app.post<{ Body: CreateAdminTokenInput }>(
    '/admin-tokens',
    {
      schema: {
        summary: 'Create an admin token; the response holds its secret, shown this once',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: {
            name: nameSchema,
            role: { type: 'string', enum: [...ADMIN_ROLES] },
            projects: { type: 'array', items: { type: 'string', maxLength: 128 }, maxItems: 1000 },
            expires_at: timestampSchema,
          },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await adminTokens.create(actorOf(request), request.body)),
  );

  app.get(
    '/admin-tokens',
    { schema: { summary: 'List admin tokens (never their secrets)' } },
    async (request) => ({
      data: await adminTokens.list(actorOf(request)),
    }),
  );

  app.post<{ Params: { id: string } }>(
    '/admin-tokens/:id/revoke',
    { schema: { summary: 'Revoke an admin token', params: idParams } },
    async (request) => adminTokens.revoke(actorOf(request), request.params.id),
  );
}
