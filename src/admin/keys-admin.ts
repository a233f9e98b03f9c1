import { GatewayError, invalidField } from '../domain/errors.js';
import { issueSecret } from '../domain/key-format.js';
import {
  effectiveKeyStatus,
  type KeyRecord,
  type KeyStatus,
  type Limits,
  type RotationPolicy,
  type Scopes,
} from '../domain/records.js';
import { DEFAULT_GRACE_SECONDS, freshKeyState } from '../domain/rotation.js';
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
import { checkRotationPolicy } from './rotation-policy.js';
import { keyView } from './views.js';

export interface CreateKeyInput {
  name: string;
  project: string;
  default_provider?: string | null;
  scopes?: Scopes;
  ip_allow?: string[] | null;
  expires_at?: string | null;
  limits?: Limits;
  /** May this key mint child keys for sub-agents (`POST /v1/keys/delegate`)? */
  can_delegate?: boolean;
  rotation_policy?: RotationPolicy | null;
}

export type PatchKeyInput = Partial<
  Pick<
    CreateKeyInput,
    'default_provider' | 'scopes' | 'ip_allow' | 'expires_at' | 'limits' | 'rotation_policy'
  >
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

  /** Every key minted below `key`, children before grandchildren. */
  const descendants = async (key: KeyRecord): Promise<KeyRecord[]> => {
    const found: KeyRecord[] = [];
    let level = [key];
    while (level.length > 0) {
      const next: KeyRecord[] = [];
      for (const parent of level) next.push(...(await store.listKeys({ parentId: parent.id })));
      found.push(...next);
      level = next;
    }
    return found;
  };

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
      checkRotationPolicy('rotation_policy', input.rotation_policy);
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
        defaultProvider: input.default_provider ?? null,
        scopes: input.scopes ?? {},
        ipAllow: input.ip_allow ?? null,
        limits: input.limits ?? {},
        expiresAt,
        ...freshKeyState(now),
        rotationPolicy: input.rotation_policy ?? null,
        parentId: null,
        canDelegate: input.can_delegate === true,
        depth: 0,
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
      checkRotationPolicy('rotation_policy', input.rotation_policy);
      const expiresAt = parseTimestamp('expires_at', input.expires_at);
      checkFuture('expires_at', expiresAt, clock.now());
      await checkDefaultProvider(input.default_provider);
      const updated = await store.updateKey(key.id, {
        ...(input.scopes !== undefined && { scopes: input.scopes }),
        ...(input.limits !== undefined && { limits: input.limits }),
        ...(input.ip_allow !== undefined && { ipAllow: input.ip_allow }),
        ...(expiresAt !== undefined && { expiresAt }),
        ...(input.default_provider !== undefined && { defaultProvider: input.default_provider }),
        ...(input.rotation_policy !== undefined && { rotationPolicy: input.rotation_policy }),
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
      // What an agent gave its sub-agents goes the same way as the agent's own key.
      for (const child of await descendants(key)) {
        if (!rule.from.includes(child.status) || child.status === rule.to) continue;
        await store.updateKey(child.id, { status: rule.to, updatedAt: clock.now() });
        await changed(child);
      }
      return view(updated ?? key);
    },

    /**
     * A new secret for the same key (same id, scopes, limits, usage). The previous secret keeps
     * working for `grace_seconds` (default a day; 0 ends it now), then it is refused as rotated.
     */
    async rotate(actor: Actor, id: string, input: { grace_seconds?: number } = {}) {
      assertCanWrite(actor);
      return rotateKey(await visible(actor, id), input.grace_seconds);
    },

    /** Rotates every key whose policy says it is due and asks for automatic rotation. */
    rotateKey,
  };

  /**
   * `deliver`, when given, receives the new secret before it is stored: if it throws, nothing
   * changes and the current secret stays in force (a secret nobody received is never activated).
   */
  async function rotateKey(
    key: KeyRecord,
    graceSeconds = DEFAULT_GRACE_SECONDS,
    deliver?: (secret: string, at: number, previousValidUntil: number) => Promise<void>,
  ) {
    if (key.status === 'revoked') throw new GatewayError('conflict', 'a revoked key cannot be rotated');
    const secret = issueSecret('key');
    const now = clock.now();
    await deliver?.(secret.secret, now, now + graceSeconds * 1000);
    const updated = await store.updateKey(key.id, {
      secretHash: secret.hash,
      displayPrefix: secret.displayPrefix,
      previousSecretHash: key.secretHash,
      previousValidUntil: now + graceSeconds * 1000,
      rotatedAt: now,
      updatedAt: now,
    });
    await changed(key);
    const project = await store.findProject(key.projectId);
    return { ...keyView(updated ?? key, project, now), key: secret.secret };
  }
}

export type KeysAdmin = ReturnType<typeof createKeysAdmin>;
