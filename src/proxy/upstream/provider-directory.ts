import type { CredentialRecord, ProviderRecord } from '../../domain/records.js';
import type { ChangeBus } from '../../events/change-bus.js';
import type { Clock } from '../../lib/clock.js';
import type { Envelope } from '../../lib/crypto-envelope.js';
import { parseSecretRef, type SecretRefResolver } from '../../secrets/secret-ref.js';
import type { Store } from '../../store/store.js';
import { ADAPTERS } from './providers/index.js';
import type { ProviderAdapter } from './providers/provider-adapter.js';

/** One credential the proxy may send upstream. */
export interface CredentialCandidate {
  id: string;
  fingerprint: string;
  /** Its secret now (resolved at use for references); undefined when the reference is empty. */
  secret(): Promise<string | undefined>;
}

export interface LiveProvider {
  record: ProviderRecord;
  adapter: ProviderAdapter;
  /** False for a keyless provider (a local model server): it is called with no credential. */
  hasCredentials: boolean;
  /**
   * Credentials in the order to try them: healthy active ones by priority (lower first), shuffled
   * by weight within a priority; then draining ones; credentials marked failing come last.
   */
  candidates(): readonly CredentialCandidate[];
}

/** Told when an upstream refuses a credential (401/403); the alerting system plugs in here. */
export type CredentialFailingListener = (event: {
  providerId: string;
  providerName: string;
  credentialId: string;
  fingerprint: string;
  reason: string;
}) => void;

export interface ProviderDirectory {
  byName(name: string): LiveProvider | undefined;
  /** Reloads everything from the store; called at start and whenever a provider changes. */
  reload(): Promise<void>;
  /** Marks a credential failing: traffic moves to the others, the health is stored, an alert raised. */
  markFailing(provider: LiveProvider, credentialId: string, reason: string): void;
}

interface LiveCredential extends CredentialCandidate {
  record: CredentialRecord;
  failing: boolean;
}

interface ProviderCredentials {
  list: LiveCredential[];
  /** `list` grouped in the order to try it, built on first use; cleared when a credential fails. */
  tiers: LiveCredential[][] | undefined;
}

/**
 * Providers and their credentials, held in memory so the hot path never waits on storage.
 * Stored secrets are opened once at load; references are resolved at use (with their own cache),
 * so a secret rotated at its source takes effect without a reload.
 */
export function createProviderDirectory(deps: {
  store: Store;
  envelope: Envelope;
  secretRefs: SecretRefResolver;
  changes: ChangeBus;
  clock: Clock;
  onCredentialFailing: CredentialFailingListener;
  /** Reports a failure to store a health change (it never blocks a request). */
  onStoreError?: (error: unknown) => void;
  random?: () => number;
}): ProviderDirectory {
  let byName = new Map<string, LiveProvider>();
  const credentialsOf = new Map<string, ProviderCredentials>();
  const random = deps.random ?? Math.random;

  const liveCredential = (c: CredentialRecord): LiveCredential => {
    const base = { id: c.id, fingerprint: c.fingerprint, record: c, failing: c.health === 'failing' };
    if (c.sealedSecret !== null) {
      const secret = deps.envelope.open(c.sealedSecret, c.id);
      return { ...base, secret: async () => secret };
    }
    const ref = parseSecretRef(c.secretRef ?? '');
    return {
      ...base,
      secret: async () => (typeof ref === 'string' ? undefined : deps.secretRefs.resolve(ref)),
    };
  };

  /** Weighted shuffle (Efraimidis–Spirakis): heavier credentials tend to come first. */
  const byWeight = (list: LiveCredential[]) =>
    list
      .map((c) => ({ c, k: random() ** (1 / Math.max(1, c.record.weight)) }))
      .sort((a, b) => b.k - a.k)
      .map(({ c }) => c);

  /**
   * The credentials in the tiers they are tried in: healthy active ones by priority, then draining
   * ones, then failing ones. Fixed until a credential is marked failing or the provider reloads.
   */
  const tiersOf = (all: LiveCredential[]): LiveCredential[][] => {
    const usable = all.filter((c) => c.record.status !== 'retired');
    const rank = (c: LiveCredential) => (c.failing ? 2 : c.record.status === 'draining' ? 1 : 0);
    const priorities = [...new Set(usable.map((c) => c.record.priority))].sort((a, b) => a - b);
    const tiers: LiveCredential[][] = [];
    for (const tier of [0, 1, 2]) {
      for (const priority of priorities) {
        const group = usable.filter((c) => rank(c) === tier && c.record.priority === priority);
        if (group.length > 0) tiers.push(group);
      }
    }
    return tiers;
  };

  /** Per request only the shuffle by weight is new; one credential alone needs none. */
  const order = (tiers: LiveCredential[][]): readonly CredentialCandidate[] =>
    tiers.length === 1 && tiers[0]?.length === 1
      ? tiers[0]
      : tiers.flatMap((group) => (group.length > 1 ? byWeight(group) : group));

  const live = (record: ProviderRecord, credentials: CredentialRecord[]): LiveProvider => {
    const state: ProviderCredentials = { list: credentials.map(liveCredential), tiers: undefined };
    credentialsOf.set(record.id, state);
    return {
      record,
      adapter: ADAPTERS[record.type],
      hasCredentials: credentials.length > 0,
      candidates: () => {
        state.tiers ??= tiersOf(state.list);
        return order(state.tiers);
      },
    };
  };

  const reload = async () => {
    deps.secretRefs.invalidate();
    const providers = await deps.store.listProviders();
    const next = new Map<string, LiveProvider>();
    credentialsOf.clear();
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

  return {
    byName: (name) => byName.get(name),
    reload: enqueueReload,
    markFailing(provider, credentialId, reason) {
      const state = credentialsOf.get(provider.record.id);
      const credential = state?.list.find((c) => c.id === credentialId);
      if (!state || !credential || credential.failing) return;
      credential.failing = true;
      state.tiers = undefined;
      const at = deps.clock.now();
      deps.store
        .setCredentialHealth(credentialId, { health: 'failing', healthChangedAt: at, lastError: reason })
        .catch((error) => deps.onStoreError?.(error));
      deps.onCredentialFailing({
        providerId: provider.record.id,
        providerName: provider.record.name,
        credentialId,
        fingerprint: credential.fingerprint,
        reason,
      });
    },
  };
}
