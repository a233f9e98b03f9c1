import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import type { CreateKeyInput, PatchKeyInput } from '../../admin/keys-admin.js';
import { actorOf } from './actor-hook.js';
import {
  idParams,
  ipAllowSchema,
  limitsSchema,
  nameSchema,
  rotationPolicySchema,
  scopesSchema,
  timestampSchema,
} from './schemas.js';

const mutableKeyFields = {
  default_provider: { type: ['string', 'null'], minLength: 1, maxLength: 128 },
  scopes: scopesSchema,
  ip_allow: ipAllowSchema,
  expires_at: timestampSchema,
  limits: limitsSchema,
  rotation_policy: rotationPolicySchema,
} as const;

export async function keysRoutes(app: FastifyInstance, { keys }: AdminServices): Promise<void> {
  app.post<{ Body: CreateKeyInput }>(
    '/keys',
    {
      schema: {
        summary: 'Create a key; the response holds its secret, shown this once',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'project'],
          properties: {
            name: nameSchema,
            project: { type: 'string', minLength: 1, maxLength: 128 },
            can_delegate: { type: 'boolean' },
            ...mutableKeyFields,
          },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await keys.create(actorOf(request), request.body)),
  );

  app.get<{ Querystring: { project?: string } }>(
    '/keys',
    {
      schema: {
        summary: 'List keys (never their secrets)',
        querystring: { type: 'object', properties: { project: { type: 'string', maxLength: 128 } } },
      },
    },
    async (request) => ({ data: await keys.list(actorOf(request), request.query) }),
  );

  app.get<{ Params: { id: string } }>(
    '/keys/:id',
    { schema: { summary: 'Show a key', params: idParams } },
    async (request) => keys.get(actorOf(request), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: PatchKeyInput }>(
    '/keys/:id',
    {
      schema: {
        summary: "Change a key's scopes, limits, IP list, expiry or default provider",
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: mutableKeyFields },
      },
    },
    async (request) => keys.patch(actorOf(request), request.params.id, request.body),
  );

  app.post<{ Params: { id: string }; Body: { grace_seconds?: number } }>(
    '/keys/:id/rotate',
    {
      schema: {
        summary:
          'Give a key a new secret (returned this once); the previous one keeps working for grace_seconds (default 86400, 0 = now)',
        params: idParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { grace_seconds: { type: 'integer', minimum: 0, maximum: 365 * 86_400 } },
        },
      },
    },
    async (request) => keys.rotate(actorOf(request), request.params.id, request.body ?? {}),
  );

  for (const action of ['revoke', 'suspend', 'resume'] as const) {
    app.post<{ Params: { id: string } }>(
      `/keys/:id/${action}`,
      { schema: { summary: `${action[0]?.toUpperCase()}${action.slice(1)} a key`, params: idParams } },
      async (request) => keys.transition(actorOf(request), request.params.id, action),
    );
  }
}
