import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../admin/actor.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | undefined;
  }
}

/** The admin token's actor; the admin scope's auth hook has set it before any handler runs. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error('admin route reached without an authenticated actor');
  return request.actor;
}

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}
