import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import type { Limits, RotationPolicy } from '../../domain/records.js';
import { actorOf } from './actor-hook.js';
import { idParams, limitsSchema, nameSchema, rotationPolicySchema } from './schemas.js';

export async function projectsRoutes(app: FastifyInstance, { projects }: AdminServices): Promise<void> {
  app.post<{ Body: { name: string; limits?: Limits; rotation_policy?: RotationPolicy | null } }>(
    '/projects',
    {
      schema: {
        summary: 'Create a project',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: nameSchema, limits: limitsSchema, rotation_policy: rotationPolicySchema },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await projects.create(actorOf(request), request.body)),
  );

  app.get('/projects', { schema: { summary: 'List projects' } }, async (request) => ({
    data: await projects.list(actorOf(request)),
  }));

  app.get<{ Params: { id: string } }>(
    '/projects/:id',
    { schema: { summary: 'Show a project (by id or name)', params: idParams } },
    async (request) => projects.get(actorOf(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: { limits?: Limits; rotation_policy?: RotationPolicy | null } }>(
    '/projects/:id',
    {
      schema: {
        summary: "Change a project's limits or rotation policy",
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { limits: limitsSchema, rotation_policy: rotationPolicySchema },
        },
      },
    },
    async (request) => projects.update(actorOf(request), request.params.id, request.body),
  );
}
