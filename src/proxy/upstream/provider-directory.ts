import { GatewayError } from '../../domain/errors.js';
import type { CredentialRecord, ProviderRecord } from '../../domain/records.js';
import type { ChangeBus } from '../../events/change-bus.js';
import type { Envelope } from '../../lib/crypto-envelope.js';
import { parseSecretRef, type SecretRefResolver } from '../../secrets/secret-ref.js';
import type { Store } from '../../store/store.js';
import { ADAPTERS } from './providers/index.js';
import type { ProviderAdapter } from './providers/provider-adapter.js';

export interface LiveProvider {
  record: ProviderRecord;
  adapter: ProviderAdapter;
  /** The secret to send upstream now; null for a keyless provider (one with no credentials at all). */
  credential(): { id: string; secret: string } | null;
}

export interface ProviderDirectory {
  byName(name: string): LiveProvider | undefined;
  /** Reloads everything from the store; called at start and whenever a provider changes. */
  reload(): Promise<void>;
}

/**
 * Providers and their credentials, held in memory so the hot path never waits on storage.
 * Stored secrets are opened once at load; references are resolved at use, so a rotated env var
 * or file takes effect without a reload.
 */
export function createProviderDirectory(deps: {
  store: Store;
  envelope: Envelope;
  secretRefs: SecretRefResolver;
  changes: ChangeBus;
}): ProviderDirectory {
  let byName = new Map<string, LiveProvider>();

  const live = (record: ProviderRecord, credentials: CredentialRecord[]): LiveProvider => {
    const active = credentials
      .filter((c) => c.status === 'active')
      .map((c) => {
        if (c.sealedSecret !== null) {
          const secret = deps.envelope.open(c.sealedSecret, c.id);
          return { id: c.id, get: () => secret };
        }
        const ref = parseSecretRef(c.secretRef ?? '');
        return { id: c.id, get: () => (typeof ref === 'string' ? undefined : deps.secretRefs.resolve(ref)) };
      });
    return {
      record,
      adapter: ADAPTERS[record.type],
      credential() {
        if (credentials.length === 0) return null;
        for (const candidate of active) {
          const secret = candidate.get();
          if (secret) return { id: candidate.id, secret };
        }
        throw new GatewayError(
          'upstream_credential_unavailable',
          `provider ${record.name} has no usable credential (a referenced secret may be missing)`,
        );
      },
    };
  };

  const reload = async () => {
    const providers = await deps.store.listProviders();
    const next = new Map<string, LiveProvider>();
    for (const provider of providers) {
      next.set(provider.name, live(provider, await deps.store.listCredentials(provider.id)));
    }
    byName = next;
  };

  // Reloads run one after another, so the last change always wins.
  let queue: Promise<void> = Promise.resolve();
  const enqueueReload = () => {
    queue = queue.then(reload, reload);
    return queue;
  };

  deps.changes.subscribe((change) =>
    change.kind === 'provider' || change.kind === 'all' ? enqueueReload() : undefined,
  );

  return { byName: (name) => byName.get(name), reload: enqueueReload };
}
