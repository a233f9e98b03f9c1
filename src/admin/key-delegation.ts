import { MAX_DELEGATION_DEPTH, narrowScopes } from '../domain/delegation.js';
import { GatewayError, invalidField } from '../domain/errors.js';
import { issueSecret } from '../domain/key-format.js';
import { effectiveKeyStatus, type KeyRecord, type Limits, type Scopes } from '../domain/records.js';
import { freshKeyState } from '../domain/rotation.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/store.js';
import { checkLimits, checkName, checkScopes } from './field-rules.js';

/** The body of `POST /v1/keys/delegate`. */
export interface DelegateKeyInput {
  name: string;
  ttl_seconds: number;
  scopes?: Scopes;
  limits?: Limits;
  can_delegate?: boolean;
}

export interface DelegatedKey {
  id: string;
  name: string;
  key: string;
  parent_id: string;
  expires_at: string | null;
  scopes: Scopes;
  limits: Limits;
  can_delegate: boolean;
  depth: number;
}

/**
 * Hook for the limits code: checks (and may narrow) a child's limits against its parent's remaining
 * allowance. Without it, a child's limits are stored as asked.
 */
export type CarveLimits = (parent: KeyRecord, wanted: Limits, now: number) => Promise<Limits>;

/**
 * Agents minting keys for their sub-agents with their own key: the child can only narrow. Its
 * scope is within the parent's, it ends no later than the parent, sits in the same project, keeps
 * the parent's IP list and default provider, and the chain is recorded in `parent_id`.
 */
export function createKeyDelegation(deps: {
  store: Store;
  clock: Clock;
  changes: ChangeBus;
  carveLimits?: CarveLimits;
}) {
  const { store, clock, changes } = deps;

  return {
    async delegate(parent: KeyRecord, input: DelegateKeyInput): Promise<DelegatedKey> {
      const now = clock.now();
      if (effectiveKeyStatus(parent, now) !== 'active') {
        throw new GatewayError('key_suspended', 'only an active key can delegate');
      }
      if (!parent.canDelegate) {
        throw new GatewayError('delegation_not_allowed', 'this key was not created with can_delegate');
      }
      if (parent.depth + 1 > MAX_DELEGATION_DEPTH) {
        throw new GatewayError(
          'delegation_not_allowed',
          `delegation is limited to ${MAX_DELEGATION_DEPTH} levels below an operator key`,
        );
      }
      checkName('name', input.name);
      if (!Number.isInteger(input.ttl_seconds) || input.ttl_seconds < 1) {
        throw invalidField('ttl_seconds', 'must be a positive whole number of seconds');
      }
      checkScopes('scopes', input.scopes);
      checkLimits('limits', input.limits);
      const narrowed = narrowScopes(parent.scopes, input.scopes);
      if ('field' in narrowed) {
        throw invalidField(
          `scopes.${narrowed.field}`,
          `${JSON.stringify(narrowed.entry)} is outside the parent key's scope`,
        );
      }
      if (input.can_delegate && parent.depth + 2 > MAX_DELEGATION_DEPTH) {
        throw invalidField('can_delegate', 'a key at the deepest level cannot delegate further');
      }
      if (await store.findKeyByName(parent.projectId, input.name)) {
        throw new GatewayError('conflict', `the project already has a key named ${input.name}`);
      }
      const wanted = input.limits ?? {};
      const limits = deps.carveLimits ? await deps.carveLimits(parent, wanted, now) : wanted;
      const asked = now + input.ttl_seconds * 1000;
      const expiresAt = parent.expiresAt === null ? asked : Math.min(asked, parent.expiresAt);
      const secret = issueSecret('key');
      const child: KeyRecord = {
        id: newId('key'),
        name: input.name,
        projectId: parent.projectId,
        secretHash: secret.hash,
        displayPrefix: secret.displayPrefix,
        defaultProvider: parent.defaultProvider,
        scopes: narrowed.scopes,
        ipAllow: parent.ipAllow,
        limits,
        expiresAt,
        ...freshKeyState(now),
        rotationPolicy: null,
        parentId: parent.id,
        canDelegate: input.can_delegate === true,
        depth: parent.depth + 1,
      };
      await store.insertKey(child);
      await changes.publish({ kind: 'key', keyId: child.id, secretHash: child.secretHash });
      return {
        id: child.id,
        name: child.name,
        key: secret.secret,
        parent_id: parent.id,
        expires_at: new Date(expiresAt).toISOString(),
        scopes: child.scopes,
        limits: child.limits,
        can_delegate: child.canDelegate,
        depth: child.depth,
      };
    },
  };
}

export type KeyDelegation = ReturnType<typeof createKeyDelegation>;
