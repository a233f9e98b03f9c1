import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/admin-services.js';
import type { CreateProviderInput, CredentialInput } from '../../admin/providers-admin.js';
import { PROVIDER_TYPES } from '../../domain/records.js';
import { actorOf } from './actor-hook.js';
import { idParams, nameSchema } from './schemas.js';

const secretFields = {
  api_key: {
    type: 'string',
    minLength: 1,
    maxLength: 4096,
    description: 'Write-only: stored encrypted, never shown again.',
  },
  secret_ref: {
    type: 'string',
    minLength: 1,
    maxLength: 1024,
    description:
      'env:NAME, file:/path, vault:<mount>/<path>[#field][@version] or aws-sm:<id>[#field][?region=R], resolved at use.',
  },
} as const;

const credentialFields = {
  ...secretFields,
  priority: { type: 'integer', minimum: 0, maximum: 1000, description: 'Lower is tried first (default 0).' },
  weight: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    description: 'Share of traffic among credentials of equal priority (default 1).',
  },
} as const;

export async function providersRoutes(app: FastifyInstance, { providers }: AdminServices): Promise<void> {
  app.post<{ Body: CreateProviderInput }>(
    '/providers',
    {
      schema: {
        summary: 'Add a provider with its first credential',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'type'],
          properties: {
            name: nameSchema,
            type: { type: 'string', enum: [...PROVIDER_TYPES] },
            base_url: { type: 'string', minLength: 1, maxLength: 2048 },
            ...secretFields,
          },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await providers.create(actorOf(request), request.body)),
  );

  app.get('/providers', { schema: { summary: 'List providers' } }, async () => ({
    data: await providers.list(),
  }));

  app.get<{ Params: { id: string } }>(
    '/providers/:id',
    { schema: { summary: 'Show a provider (by id or name)', params: idParams } },
    async (request) => providers.get(request.params.id),
  );

  app.delete<{ Params: { id: string } }>(
    '/providers/:id',
    { schema: { summary: 'Remove a provider and its credentials', params: idParams } },
    async (request) => providers.remove(actorOf(request), request.params.id),
  );

  app.post<{ Params: { id: string }; Body: CredentialInput }>(
    '/providers/:id/credentials',
    {
      schema: {
        summary: 'Add a credential to a provider',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: credentialFields },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await providers.addCredential(actorOf(request), request.params.id, request.body)),
  );

  app.post<{ Params: { id: string } }>(
    '/providers/:id/refresh',
    {
      schema: {
        summary: 'Read referenced secrets again and clear failing marks on its credentials',
        params: idParams,
      },
    },
    async (request) => providers.refresh(actorOf(request), request.params.id),
  );

  app.delete<{ Params: { id: string; credentialId: string } }>(
    '/providers/:id/credentials/:credentialId',
    {
      schema: {
        summary: 'Retire a credential (it stops being used; the record stays)',
        params: {
          type: 'object',
          required: ['id', 'credentialId'],
          properties: {
            id: { type: 'string', maxLength: 128 },
            credentialId: { type: 'string', maxLength: 128 },
          },
        },
      },
    },
    async (request) =>
      providers.retireCredential(actorOf(request), request.params.id, request.params.credentialId),
  );
}
