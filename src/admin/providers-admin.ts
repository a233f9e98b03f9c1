import type { Config } from '../config/config.js';
import type { AuditAction } from '../domain/audit.js';
import { GatewayError, invalidField } from '../domain/errors.js';
import type { CredentialRecord, ProviderRecord, ProviderType } from '../domain/records.js';
import type { UpstreamPolicy } from '../domain/upstream-policy.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { Clock } from '../lib/clock.js';
import type { Envelope } from '../lib/crypto-envelope.js';
import { newId } from '../lib/ids.js';
import { parseSecretRef } from '../secrets/secret-ref.js';
import type { Store } from '../store/store.js';
import { type Actor, assertGatewayAdmin } from './actor.js';
import { type AuditLog, byActor } from './audit-log.js';
import { checkName } from './field-rules.js';
import { providerView } from './views.js';

export interface CreateProviderInput {
  name: string;
  type: ProviderType;
  base_url?: string;
  api_key?: string;
  secret_ref?: string;
}

export interface CredentialInput {
  api_key?: string;
  secret_ref?: string;
  /** Lower is preferred (default 0); equal priorities share traffic by weight (default 1). */
  priority?: number;
  weight?: number;
}

export const DEFAULT_BASE_URLS: Record<ProviderType, string | undefined> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
  'openai-compatible': undefined,
};

/** Path prefixes the gateway itself answers, so no provider may be named after them. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'v1',
  'admin',
  'metrics',
  'health',
  'healthz',
  'dashboard',
  'assets',
  'api',
  'leak-reports',
]);

export interface ProvidersAdminDeps {
  store: Store;
  clock: Clock;
  envelope: Envelope;
  changes: ChangeBus;
  config: Pick<Config, 'proxy'>;
  audit: AuditLog;
  /** Where provider base URLs may point; also enforced again at connect time. */
  upstreamPolicy: UpstreamPolicy;
}

export function createProvidersAdmin({
  store,
  clock,
  envelope,
  changes,
  audit,
  upstreamPolicy,
}: ProvidersAdminDeps) {
  const audited = (
    actor: Actor,
    action: AuditAction,
    provider: ProviderRecord,
    change: Record<string, unknown>,
  ) => audit.append({ ...byActor(actor), action, target: { type: 'provider', id: provider.id }, change });
  const credentialChange = (c: CredentialRecord) => ({
    credential_id: c.id,
    fingerprint: c.fingerprint,
    source: c.secretRef ? c.secretRef.slice(0, c.secretRef.indexOf(':')) : 'stored',
  });

  const view = async (provider: ProviderRecord) =>
    providerView(provider, await store.listCredentials(provider.id));

  const find = async (idOrName: string): Promise<ProviderRecord> => {
    const provider = await store.findProvider(idOrName);
    if (!provider) throw new GatewayError('not_found', `no provider ${JSON.stringify(idOrName)}`);
    return provider;
  };

  /** Seals an inline secret under the credential's own id, or checks a reference. */
  const buildCredential = (providerId: string, input: CredentialInput): CredentialRecord => {
    const id = newId('cred');
    const base = {
      id,
      providerId,
      status: 'active' as const,
      createdAt: clock.now(),
      priority: input.priority ?? 0,
      weight: input.weight ?? 1,
      health: 'ok' as const,
      healthChangedAt: null,
      lastError: null,
    };
    if (input.api_key !== undefined && input.secret_ref !== undefined) {
      throw invalidField('api_key', 'give api_key or secret_ref, not both');
    }
    if (input.api_key === undefined && input.secret_ref === undefined) {
      throw invalidField('api_key', 'give api_key or secret_ref');
    }
    if (input.api_key !== undefined) {
      const secret = input.api_key.trim();
      if (secret.length < 8) throw invalidField('api_key', 'too short to be a provider key');
      return {
        ...base,
        sealedSecret: envelope.seal(secret, id),
        secretRef: null,
        fingerprint: `…${secret.slice(-4)}`,
      };
    }
    const ref = parseSecretRef(input.secret_ref ?? '');
    if (typeof ref === 'string') throw invalidField('secret_ref', ref);
    return {
      ...base,
      sealedSecret: null,
      secretRef: input.secret_ref ?? null,
      fingerprint: input.secret_ref ?? '',
    };
  };

  return {
    async create(actor: Actor, input: CreateProviderInput) {
      assertGatewayAdmin(actor);
      checkName('name', input.name);
      if (RESERVED_NAMES.has(input.name))
        throw invalidField('name', `"${input.name}" is reserved for keywarden's own routes`);
      const baseUrl = normalizeBaseUrl(input.base_url ?? DEFAULT_BASE_URLS[input.type], upstreamPolicy);
      if (await store.findProvider(input.name))
        throw new GatewayError('conflict', `provider ${input.name} already exists`);
      const provider: ProviderRecord = {
        id: newId('prv'),
        name: input.name,
        type: input.type,
        baseUrl,
        createdAt: clock.now(),
      };
      // Local model servers (Ollama, vLLM) often need no key: such a provider starts without credentials.
      const keyless =
        input.type === 'openai-compatible' && input.api_key === undefined && input.secret_ref === undefined;
      const credential = keyless ? undefined : buildCredential(provider.id, input);
      await store.insertProvider(provider, credential);
      await changes.publish({ kind: 'provider', providerId: provider.id });
      await audited(actor, 'provider.created', provider, {
        name: provider.name,
        type: provider.type,
        base_url: provider.baseUrl,
        credential: credential ? credentialChange(credential) : null,
      });
      return view(provider);
    },

    async list() {
      const providers = await store.listProviders();
      return Promise.all(providers.map(view));
    },

    async get(idOrName: string) {
      return view(await find(idOrName));
    },

    async remove(actor: Actor, idOrName: string) {
      assertGatewayAdmin(actor);
      const provider = await find(idOrName);
      await store.deleteProvider(provider.id);
      await changes.publish({ kind: 'provider', providerId: provider.id });
      await audited(actor, 'provider.removed', provider, { name: provider.name, base_url: provider.baseUrl });
      return { id: provider.id, name: provider.name, deleted: true };
    },

    async addCredential(actor: Actor, idOrName: string, input: CredentialInput) {
      assertGatewayAdmin(actor);
      const provider = await find(idOrName);
      const credential = buildCredential(provider.id, input);
      await store.insertCredential(credential);
      await changes.publish({ kind: 'provider', providerId: provider.id });
      await audited(actor, 'provider.credential_added', provider, credentialChange(credential));
      return view(provider);
    },

    /**
     * Reads referenced secrets again (Vault, AWS, files) and clears failing marks, so every
     * credential is tried again: after fixing a key upstream, or to pick up a changed secret now.
     */
    async refresh(actor: Actor, idOrName: string) {
      assertGatewayAdmin(actor);
      const provider = await find(idOrName);
      for (const credential of await store.listCredentials(provider.id)) {
        if (credential.health === 'ok') continue;
        await store.setCredentialHealth(credential.id, {
          health: 'ok',
          healthChangedAt: clock.now(),
          lastError: null,
        });
      }
      await changes.publish({ kind: 'provider', providerId: provider.id });
      return view(provider);
    },

    async retireCredential(actor: Actor, idOrName: string, credentialId: string) {
      assertGatewayAdmin(actor);
      const provider = await find(idOrName);
      const credentials = await store.listCredentials(provider.id);
      const target = credentials.find((c) => c.id === credentialId);
      if (!target)
        throw new GatewayError('not_found', `provider ${provider.name} has no credential ${credentialId}`);
      const othersActive = credentials.some((c) => c.id !== credentialId && c.status === 'active');
      if (target.status === 'active' && !othersActive) {
        throw new GatewayError(
          'conflict',
          'cannot retire the last active credential; add its replacement first',
        );
      }
      await store.setCredentialStatus(credentialId, 'retired');
      await changes.publish({ kind: 'provider', providerId: provider.id });
      await audited(actor, 'provider.credential_retired', provider, credentialChange(target));
      return view(provider);
    },
  };
}

export type ProvidersAdmin = ReturnType<typeof createProvidersAdmin>;

function normalizeBaseUrl(raw: string | undefined, policy: UpstreamPolicy): string {
  if (raw === undefined) throw invalidField('base_url', 'is required for openai-compatible providers');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidField('base_url', 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidField('base_url', 'must be http or https');
  if (url.username || url.password) throw invalidField('base_url', 'must not contain credentials');
  if (url.search || url.hash) throw invalidField('base_url', 'must not contain a query or fragment');
  const refused = policy.refuseHost(url.hostname);
  if (refused) throw invalidField('base_url', `refused: ${refused}`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
