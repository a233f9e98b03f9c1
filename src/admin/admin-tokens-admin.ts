import type { AuditEvent } from '../domain/audit.js';
import { GatewayError, invalidField } from '../domain/errors.js';
import { hashesEqual, hashSecret, issueSecret, isWellFormedSecret } from '../domain/key-format.js';
import type { AdminRole, AdminTokenRecord } from '../domain/records.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/store.js';
import { type Actor, assertGatewayAdmin } from './actor.js';
import { type AuditLog, byActor } from './audit-log.js';
import { checkFuture, checkName, parseTimestamp } from './field-rules.js';
import { adminTokenView } from './views.js';

export interface CreateAdminTokenInput {
  name: string;
  role: AdminRole;
  projects?: string[];
  expires_at?: string | null;
}

/** Roles each role may hand out: nobody mints a token stronger than their own. */
const GRANTABLE: Record<AdminRole, readonly AdminRole[]> = {
  owner: ['owner', 'admin', 'project-admin', 'viewer'],
  admin: ['admin', 'project-admin', 'viewer'],
  'project-admin': [],
  viewer: [],
};

/** A token's use is audited as a sign-in at most once per window, so the trail is not flooded. */
const SIGN_IN_WINDOW_MS = 15 * 60_000;

/** Where an admin request came from, for the audit trail of sign-ins and failures. */
export interface RequestContext {
  requestId?: string;
  clientIp?: string;
}

export function createAdminTokensAdmin({
  store,
  clock,
  audit,
}: {
  store: Store;
  clock: Clock;
  audit: AuditLog;
}) {
  const lastSignIn = new Map<string, number>();

  const mint = async (
    by: Pick<AuditEvent, 'actor' | 'requestId' | 'clientIp'>,
    input: {
      name: string;
      role: AdminRole;
      projectIds: string[];
      expiresAt: number | null;
    },
  ) => {
    const secret = issueSecret('admin');
    const record: AdminTokenRecord = {
      id: newId('adt'),
      name: input.name,
      role: input.role,
      projectIds: input.projectIds,
      secretHash: secret.hash,
      displayPrefix: secret.displayPrefix,
      expiresAt: input.expiresAt,
      revokedAt: null,
      createdAt: clock.now(),
    };
    await store.insertAdminToken(record);
    await audit.append({
      ...by,
      action: 'admin_token.created',
      target: { type: 'admin_token', id: record.id },
      change: {
        name: record.name,
        role: record.role,
        projects: record.projectIds,
        expires_at: record.expiresAt,
        prefix: record.displayPrefix,
      },
    });
    return { ...adminTokenView(record, clock.now()), token: secret.secret };
  };

  const failed = async (context: RequestContext, reason: string, token?: AdminTokenRecord) => {
    await audit.append({
      action: 'auth.failed',
      actor: { type: token ? 'admin_token' : 'anonymous', id: token?.id ?? null, role: token?.role ?? null },
      requestId: context.requestId ?? null,
      clientIp: context.clientIp ?? null,
      change: { reason },
    });
  };

  const signedIn = async (context: RequestContext, token: AdminTokenRecord) => {
    const now = clock.now();
    const last = lastSignIn.get(token.id);
    if (last !== undefined && now - last < SIGN_IN_WINDOW_MS) return;
    if (lastSignIn.size > 10_000) lastSignIn.clear();
    lastSignIn.set(token.id, now);
    await audit.append({
      action: 'auth.sign_in',
      actor: { type: 'admin_token', id: token.id, role: token.role },
      requestId: context.requestId ?? null,
      clientIp: context.clientIp ?? null,
    });
  };

  return {
    /** The actor behind a bearer token, or a 401 saying why not. */
    async authenticate(bearer: string | undefined, context: RequestContext = {}): Promise<Actor> {
      if (!bearer)
        throw new GatewayError('missing_admin_token', 'send an admin token: Authorization: Bearer kwa_...');
      if (!isWellFormedSecret(bearer, 'admin')) {
        await failed(context, 'malformed');
        throw new GatewayError('invalid_admin_token', 'invalid admin token');
      }
      const hash = hashSecret(bearer);
      const token = await store.findAdminTokenByHash(hash);
      if (!token || !hashesEqual(token.secretHash, hash)) {
        await failed(context, 'unknown');
        throw new GatewayError('invalid_admin_token', 'invalid admin token');
      }
      if (token.revokedAt !== null) {
        await failed(context, 'revoked', token);
        throw new GatewayError('invalid_admin_token', 'this admin token was revoked');
      }
      if (token.expiresAt !== null && token.expiresAt <= clock.now()) {
        await failed(context, 'expired', token);
        throw new GatewayError('invalid_admin_token', 'this admin token has expired');
      }
      await signedIn(context, token);
      return { tokenId: token.id, role: token.role, projectIds: token.projectIds, ...context };
    },

    /** The first owner token, minted when a data dir is initialised. */
    async createOwner() {
      return mint(
        { actor: { type: 'system', id: 'init' } },
        { name: 'owner', role: 'owner', projectIds: [], expiresAt: null },
      );
    },

    async create(actor: Actor, input: CreateAdminTokenInput) {
      assertGatewayAdmin(actor);
      checkName('name', input.name);
      if (!GRANTABLE[actor.role].includes(input.role)) {
        throw new GatewayError('forbidden', `role ${actor.role} cannot create ${input.role} tokens`);
      }
      const expiresAt = parseTimestamp('expires_at', input.expires_at) ?? null;
      checkFuture('expires_at', expiresAt, clock.now());
      const projectIds: string[] = [];
      if (input.role === 'project-admin') {
        if (!input.projects?.length)
          throw invalidField('projects', 'a project-admin token needs at least one project');
        for (const name of input.projects) {
          const project = await store.findProject(name);
          if (!project) throw invalidField('projects', `no project ${JSON.stringify(name)}`);
          projectIds.push(project.id);
        }
      } else if (input.projects?.length) {
        throw invalidField('projects', `only project-admin tokens are limited to projects`);
      }
      return mint(byActor(actor), { name: input.name, role: input.role, projectIds, expiresAt });
    },

    async list(actor: Actor) {
      assertGatewayAdmin(actor);
      const now = clock.now();
      return (await store.listAdminTokens()).map((t) => adminTokenView(t, now));
    },

    async revoke(actor: Actor, id: string) {
      assertGatewayAdmin(actor);
      const tokens = await store.listAdminTokens();
      const target = tokens.find((t) => t.id === id);
      if (!target) throw new GatewayError('not_found', `no admin token ${JSON.stringify(id)}`);
      if (target.role === 'owner' && actor.role !== 'owner') {
        throw new GatewayError('forbidden', 'only an owner can revoke an owner token');
      }
      const liveOwners = tokens.filter((t) => t.role === 'owner' && t.revokedAt === null && t.id !== id);
      if (target.role === 'owner' && liveOwners.length === 0) {
        throw new GatewayError('conflict', 'cannot revoke the last owner token; create another owner first');
      }
      const revoked = await store.revokeAdminToken(id, clock.now());
      if (target.revokedAt === null) {
        await audit.append({
          ...byActor(actor),
          action: 'admin_token.revoked',
          target: { type: 'admin_token', id },
          change: { name: target.name, role: target.role },
        });
      }
      return adminTokenView(revoked ?? target, clock.now());
    },
  };
}

export type AdminTokensAdmin = ReturnType<typeof createAdminTokensAdmin>;
