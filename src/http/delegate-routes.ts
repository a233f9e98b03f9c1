import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { DelegatedKey, DelegateKeyInput } from '../admin/key-delegation.js';
import { limitsSchema, nameSchema, scopesSchema } from './admin/schemas.js';
import { errorBody } from './error-envelopes.js';
import { toGatewayError } from './to-gateway-error.js';

export interface DelegateRoutesDeps {
  /** Authenticates the calling key from the headers and mints its child. */
  delegate(headers: IncomingHttpHeaders, clientIp: string, input: DelegateKeyInput): Promise<DelegatedKey>;
}

/**
 * `POST /v1/keys/delegate`: an agent holding a key made with `can_delegate` mints a narrower,
 * shorter-lived key for a sub-agent, authenticated by its own key (no admin token). Errors come
 * in OpenAI's shape, like every other `/v1` answer.
 */
export const DELEGATE_PATH = '/v1/keys/delegate';

export async function delegateRoutes(app: FastifyInstance, deps: DelegateRoutesDeps): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'internal_error') request.log.error({ err: error }, 'delegation failed');
    reply.code(gatewayError.status).send(errorBody(gatewayError, 'openai'));
  });

  app.post<{ Body: DelegateKeyInput }>(
    DELEGATE_PATH,
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'ttl_seconds'],
          properties: {
            name: nameSchema,
            ttl_seconds: { type: 'integer', minimum: 1, maximum: 366 * 86_400 },
            scopes: scopesSchema,
            limits: limitsSchema,
            can_delegate: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await deps.delegate(request.headers, request.ip, request.body)),
  );
}
