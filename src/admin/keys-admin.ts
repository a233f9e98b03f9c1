import { GatewayError, invalidField } from '../domain/errors.js';
import { issueSecret } from '../domain/key-format.js';
import {
  effectiveKeyStatus,
  type KeyRecord,
  type KeyStatus,
  type Limits,
  type Scopes,
} from '../domain/records.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { LimitUsage } from '../limits/limit-usage.js';
import type { Store } from '../store/store.js';
import { type Actor, assertCanWrite, canSeeProject } from './actor.js';
import {
  checkFuture,
  checkIpAllow,
  checkLimits,
  checkName,
  checkScopes,
  parseTimestamp,
} from './field-rules.js';
import type { ProjectsAdmin } from './projects-admin.js';
import { keyView } from './views.js';

export interface CreateKeyInput {
  name: string;
  project: string;
  default_provider?: string | null;
  scopes?: Scopes;
  ip_allow?: string[] | null;
  expires_at?: string | null;
  limits?: Limits;
}

export type PatchKeyInput = Partial<
  Pick<CreateKeyInput, 'default_provider' | 'scopes' | 'ip_allow' | 'expires_at' | 'limits'>
>;

export interface KeysAdminDeps {
  store: Store;
  clock: Clock;
  changes: ChangeBus;
  projects: ProjectsAdmin;
  /** Current consumption of a key's or project's limits, shown with the record. */
  limitUsage: LimitUsageOf;
}

export type LimitUsageOf = (subject: {
  scope: 'key' | 'project';
  id: string;
  projectId: string;
  limits: Limits;
}) => Promise<LimitUsage[]>;

/** The transitions an operator may make; `revoked` is final. */
const TRANSITIONS: Record<'revoke' | 'suspend' | 'resume', { from: KeyStatus[]; to: KeyStatus }> = {
  revoke: { from: ['active', 'suspended', 'revoked'], to: 'revoked' },
  suspend: { from: ['active', 'suspended'], to: 'suspended' },
  resume: { from: ['active', 'suspended'], to: 'active' },
};

export function createKeysAdmin({ store, clock, changes, projects, limitUsage }: KeysAdminDeps) {
  const view = async (key: KeyRecord) => keyView(key, await store.findProject(key.projectId), clock.now());

  const visible = async (actor: Actor, id: string): Promise<KeyRecord> => {
    const key = await store.getKey(id);
    if (!key || !canSeeProject(actor, key.projectId))
      throw new GatewayError('not_found', `no key ${JSON.stringify(id)}`);
    return key;
  };

  const checkDefaultProvider = async (name: string | null | undefined) => {
    if (name && !(await store.findProvider(name))) {
      throw invalidField('default_provider', `no provider ${JSON.stringify(name)}`);
    }
  };

  const changed = (key: KeyRecord) =>
    changes.publish({ kind: 'key', keyId: key.id, secretHash: key.secretHash });

  return {
    async create(actor: Actor, input: CreateKeyInput) {
      assertCanWrite(actor);
      checkName('name', input.name);
      const project = await projects.visible(actor, input.project).catch(() => {
        throw invalidField('project', `no project ${JSON.stringify(input.project)}`);
      });
      checkScopes('scopes', input.scopes);
      checkIpAllow('ip_allow', input.ip_allow);
      checkLimits('limits', input.limits);
      const expiresAt = parseTimestamp('expires_at', input.expires_at) ?? null;
      checkFuture('expires_at', expiresAt, clock.now());
      await checkDefaultProvider(input.default_provider);
      if (await store.findKeyByName(project.id, input.name)) {
        throw new GatewayError('conflict', `project ${project.name} already has a key named ${input.name}`);
      }
      const secret = issueSecret('key');
      const now = clock.now();
      const key: KeyRecord = {
        id: newId('key'),
        name: input.name,
        projectId: project.id,
        secretHash: secret.hash,
        displayPrefix: secret.displayPrefix,
        status: 'active',
        defaultProvider: input.default_provider ?? null,
        scopes: input.scopes ?? {},
        ipAllow: input.ip_allow ?? null,
        limits: input.limits ?? {},
        expiresAt,
        createdAt: now,
        updatedAt: now,
        lastUsedAt: null,
      };
      await store.insertKey(key);
      await changed(key);
      return { ...keyView(key, project, now), key: secret.secret };
    },

    async list(actor: Actor, filter: { project?: string }) {
      const projectId = filter.project ? (await projects.visible(actor, filter.project)).id : undefined;
      const keys = await store.listKeys(projectId ? { projectId } : {});
      const names = new Map((await store.listProjects()).map((p) => [p.id, p]));
      const now = clock.now();
      return keys
        .filter((k) => canSeeProject(actor, k.projectId))
        .map((k) => keyView(k, names.get(k.projectId), now));
    },

    async get(actor: Actor, id: string) {
      const key = await visible(actor, id);
      const usage = await limitUsage({
        scope: 'key',
        id: key.id,
        projectId: key.projectId,
        limits: key.limits,
      });
      return { ...(await view(key)), limits_usage: usage };
    },

    async patch(actor: Actor, id: string, input: PatchKeyInput) {
      assertCanWrite(actor);
      const key = await visible(actor, id);
      if (key.status === 'revoked') throw new GatewayError('conflict', 'a revoked key cannot be changed');
      checkScopes('scopes', input.scopes);
      checkIpAllow('ip_allow', input.ip_allow);
      checkLimits('limits', input.limits);
      const expiresAt = parseTimestamp('expires_at', input.expires_at);
      checkFuture('expires_at', expiresAt, clock.now());
      await checkDefaultProvider(input.default_provider);
      const updated = await store.updateKey(key.id, {
        ...(input.scopes !== undefined && { scopes: input.scopes }),
        ...(input.limits !== undefined && { limits: input.limits }),
        ...(input.ip_allow !== undefined && { ipAllow: input.ip_allow }),
        ...(expiresAt !== undefined && { expiresAt }),
        ...(input.default_provider !== undefined && { defaultProvider: input.default_provider }),
        updatedAt: clock.now(),
      });
      await changed(key);
      return view(updated ?? key);
    },

    async transition(actor: Actor, id: string, action: keyof typeof TRANSITIONS) {
      assertCanWrite(actor);
      const key = await visible(actor, id);
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(key.status)) {
        throw new GatewayError(
          'conflict',
          `key is ${effectiveKeyStatus(key, clock.now())}; it cannot be ${rule.to}`,
        );
      }
      const updated = await store.updateKey(key.id, { status: rule.to, updatedAt: clock.now() });
      await changed(key);
      return view(updated ?? key);
    },
  };
}

export type KeysAdmin = ReturnType<typeof createKeysAdmin>;
