import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../domain/alerts.js';
import type {
  AdminTokenRecord,
  CredentialRecord,
  KeyRecord,
  ProjectRecord,
  ProviderRecord,
} from '../domain/records.js';
import type { UsageEvent, UsageFilter, UsageGroup, UsageRow } from '../domain/usage.js';
import { describeAuditLog } from './audit-contract.js';
import type { Store } from './store.js';

/**
 * The behaviours every `Store` must show, written once and run against each implementation (SQLite
 * now, Postgres later) so the two cannot drift. `open` must hand back a new, empty, migrated store;
 * each test closes the one it got. Nothing here depends on a SQL dialect: ordering of text groups,
 * NULL placement and case-insensitive collations are left to the implementation, so results are
 * compared after sorting wherever the port does not promise an order.
 */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`${name} store contract`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describeMeta(() => store);
    describeProviders(() => store);
    describeProjects(() => store);
    describeKeys(() => store);
    describeAdminTokens(() => store);
    describeUsage(() => store);
    describeAlerts(() => store);
    describeAuditLog(() => store);
  });
}

function alert(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: nextId('alr'),
    ts: T0,
    type: 'anomaly',
    severity: 'warning',
    message: 'cost per minute is 20x the usual',
    keyId: 'key_a',
    projectId: 'prj_a',
    details: { metric: 'cost', value: 1.5 },
    dedupeKey: null,
    status: 'open',
    acknowledgedAt: null,
    acknowledgedBy: null,
    ...over,
  };
}

function describeAlerts(get: () => Store) {
  describe('alerts', () => {
    it('reads back every field, lists newest first and filters by status, key and type', async () => {
      const store = get();
      const older = alert({ ts: T0 });
      const newer = alert({ ts: T0 + 5, keyId: 'key_b', type: 'new_ip', dedupeKey: 'new_ip:key_b' });
      await store.insertAlert(older);
      await store.insertAlert(newer);
      expect(await store.getAlert(older.id)).toEqual(older);
      expect(await store.listAlerts({ limit: 10 })).toEqual([newer, older]);
      expect(await store.listAlerts({ limit: 10, keyId: 'key_b' })).toEqual([newer]);
      expect(await store.listAlerts({ limit: 10, type: 'anomaly' })).toEqual([older]);
      expect(await store.listAlerts({ limit: 10, before: T0 + 5 })).toEqual([older]);
      expect(await store.findAlertSince('new_ip:key_b', T0)).toEqual(newer);
      expect(await store.findAlertSince('new_ip:key_b', T0 + 6)).toBeUndefined();
    });

    it('acknowledges an open alert once, keeping the first acknowledgement', async () => {
      const store = get();
      const a = alert();
      await store.insertAlert(a);
      const acked = {
        ...a,
        status: 'acknowledged' as const,
        acknowledgedAt: T0 + 1,
        acknowledgedBy: 'adt_1',
      };
      expect(await store.acknowledgeAlert(a.id, T0 + 1, 'adt_1')).toEqual(acked);
      expect(await store.acknowledgeAlert(a.id, T0 + 2, 'adt_2')).toEqual(acked);
      expect(await store.listAlerts({ limit: 10, status: 'open' })).toEqual([]);
      expect(await store.acknowledgeAlert('alr_unknown', T0, 'adt_1')).toBeUndefined();
    });

    it('logs delivery attempts in order', async () => {
      const store = get();
      const base = { alertId: 'alr_1', target: 'ops', ts: T0, statusCode: null, error: null };
      const first = { ...base, id: nextId('dlv'), attempt: 1, outcome: 'failed' as const, error: 'HTTP 500' };
      const second = {
        ...base,
        id: nextId('dlv'),
        attempt: 2,
        ts: T0 + 1,
        outcome: 'delivered' as const,
        statusCode: 200,
      };
      await store.insertAlertDelivery(second);
      await store.insertAlertDelivery(first);
      expect(await store.listAlertDeliveries('alr_1')).toEqual([first, second]);
    });

    it('remembers sightings once', async () => {
      const store = get();
      const s = { keyId: 'key_a', kind: 'network' as const, value: '10.0.0.0/24', firstSeen: T0 };
      await store.insertSightings([s]);
      await store.insertSightings([{ ...s, firstSeen: T0 + 9 }]);
      expect(await store.listSightings()).toEqual([s]);
    });
  });
}

const T0 = Date.UTC(2025, 0, 15, 9, 30);
const HOUR = 3_600_000;
const DAY = 86_400_000;

let serial = 0;
const nextId = (prefix: string) => `${prefix}_${(++serial).toString().padStart(6, '0')}`;

function provider(over: Partial<ProviderRecord> = {}): ProviderRecord {
  const id = over.id ?? nextId('prv');
  return {
    id,
    name: `provider-${id}`,
    type: 'openai',
    baseUrl: 'https://api.openai.com',
    createdAt: T0,
    ...over,
  };
}

function credential(providerId: string, over: Partial<CredentialRecord> = {}): CredentialRecord {
  return {
    id: nextId('cred'),
    providerId,
    sealedSecret: 'AQIDBA==',
    secretRef: null,
    fingerprint: 'sk-...abcd',
    status: 'active',
    createdAt: T0,
    priority: 0,
    weight: 1,
    health: 'ok',
    healthChangedAt: null,
    lastError: null,
    ...over,
  };
}

function project(over: Partial<ProjectRecord> = {}): ProjectRecord {
  const id = over.id ?? nextId('prj');
  return { id, name: `project-${id}`, limits: {}, createdAt: T0, rotationPolicy: null, ...over };
}

function key(projectId: string, over: Partial<KeyRecord> = {}): KeyRecord {
  const id = over.id ?? nextId('key');
  return {
    id,
    name: `key-${id}`,
    projectId,
    secretHash: `hash-${id}`,
    displayPrefix: 'kw_AbCdEf',
    status: 'active',
    defaultProvider: null,
    scopes: {},
    ipAllow: null,
    limits: {},
    expiresAt: null,
    createdAt: T0,
    updatedAt: T0,
    lastUsedAt: null,
    previousSecretHash: null,
    previousValidUntil: null,
    rotatedAt: null,
    rotationPolicy: null,
    parentId: null,
    canDelegate: false,
    depth: 0,
    ...over,
  };
}

function adminToken(over: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  const id = over.id ?? nextId('adt');
  return {
    id,
    name: `token-${id}`,
    role: 'admin',
    projectIds: [],
    secretHash: `hash-${id}`,
    displayPrefix: 'kwa_AbCdEf',
    expiresAt: null,
    revokedAt: null,
    createdAt: T0,
    ...over,
  };
}

/** A usage event with plausible values; ids are unique per call. */
export function usage(over: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id: nextId('req'),
    ts: T0,
    requestId: nextId('rid'),
    keyId: 'key_a',
    projectId: 'prj_a',
    providerId: 'prv_openai',
    providerName: 'openai',
    model: 'gpt-4o-mini',
    endpoint: 'chat/completions',
    status: 200,
    inputTokens: 10,
    outputTokens: 5,
    cachedTokens: 0,
    costNanoUsd: 1_000,
    latencyMs: 120,
    ttfbMs: 40,
    clientIp: '127.0.0.1',
    streamed: false,
    ...over,
  };
}

/** Rejects, whatever the driver's error type: the port only promises that the write fails. */
async function expectRejects(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeDefined();
}

function describeMeta(get: () => Store) {
  describe('meta', () => {
    it('has no value for a name never set', async () => {
      expect(await get().getMeta('nothing-here')).toBeUndefined();
    });

    it('reads back what it stored, and the last value written wins', async () => {
      await get().setMeta('master_key_check', 'first');
      expect(await get().getMeta('master_key_check')).toBe('first');
      await get().setMeta('master_key_check', 'second');
      expect(await get().getMeta('master_key_check')).toBe('second');
    });
  });
}

function describeProviders(get: () => Store) {
  describe('providers and credentials', () => {
    it('finds a provider by id and by name, with its credential', async () => {
      const store = get();
      const p = provider({ name: 'groq', type: 'openai-compatible', baseUrl: 'https://api.groq.com/openai' });
      const c = credential(p.id);
      await store.insertProvider(p, c);
      expect(await store.findProvider(p.id)).toEqual(p);
      expect(await store.findProvider('groq')).toEqual(p);
      expect(await store.listCredentials(p.id)).toEqual([c]);
    });

    it("keeps a credential's priority, weight and health", async () => {
      const store = get();
      const p = provider();
      const c = credential(p.id, { priority: 2, weight: 5 });
      await store.insertProvider(p, c);
      expect(
        await store.setCredentialHealth(c.id, {
          health: 'failing',
          healthChangedAt: T0 + 9,
          lastError: 'upstream answered 401',
        }),
      ).toBe(true);
      expect(await store.listCredentials(p.id)).toEqual([
        { ...c, health: 'failing', healthChangedAt: T0 + 9, lastError: 'upstream answered 401' },
      ]);
    });

    it('stores a keyless provider with no credentials', async () => {
      const store = get();
      const p = provider({ name: 'ollama', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434' });
      await store.insertProvider(p, undefined);
      expect(await store.findProvider('ollama')).toEqual(p);
      expect(await store.listCredentials(p.id)).toEqual([]);
    });

    it('finds nothing for an unknown id or name, and names match exactly', async () => {
      const store = get();
      const p = provider({ name: 'openai' });
      await store.insertProvider(p, credential(p.id));
      expect(await store.findProvider('nope')).toBeUndefined();
      expect(await store.findProvider('OpenAI')).toBeUndefined();
      expect(await store.findProvider('openai ')).toBeUndefined();
    });

    it('prefers the provider whose id matches over one whose name matches', async () => {
      const store = get();
      const first = provider({ createdAt: T0 });
      const impostor = provider({ name: first.id, createdAt: T0 - 1 });
      await store.insertProvider(impostor, credential(impostor.id));
      await store.insertProvider(first, credential(first.id));
      expect((await store.findProvider(first.id))?.id).toBe(first.id);
    });

    it('lists providers oldest first', async () => {
      const store = get();
      const newer = provider({ createdAt: T0 + 2 });
      const older = provider({ createdAt: T0 + 1 });
      await store.insertProvider(newer, credential(newer.id));
      await store.insertProvider(older, credential(older.id));
      expect((await store.listProviders()).map((p) => p.id)).toEqual([older.id, newer.id]);
    });

    it('refuses a second provider with the same name and keeps the first', async () => {
      const store = get();
      const p = provider({ name: 'openai' });
      await store.insertProvider(p, credential(p.id));
      const twin = provider({ name: 'openai' });
      await expectRejects(store.insertProvider(twin, credential(twin.id)));
      expect(await store.findProvider('openai')).toEqual(p);
      expect(await store.listProviders()).toHaveLength(1);
    });

    it('stores a provider and its first credential together or not at all', async () => {
      const store = get();
      const p = provider();
      const c = credential(p.id);
      await store.insertProvider(p, c);
      const other = provider();
      await expectRejects(store.insertProvider(other, credential(other.id, { id: c.id })));
      expect(await store.findProvider(other.id)).toBeUndefined();
      expect(await store.findProvider(other.name)).toBeUndefined();
    });

    it('adds credentials, keeps secret references, and retires a credential', async () => {
      const store = get();
      const p = provider();
      const first = credential(p.id, { createdAt: T0 });
      const second = credential(p.id, {
        sealedSecret: null,
        secretRef: 'env:OPENAI_API_KEY',
        fingerprint: 'env:OPENAI_API_KEY',
        createdAt: T0 + 1,
      });
      await store.insertProvider(p, first);
      await store.insertCredential(second);
      expect(await store.setCredentialStatus(first.id, 'retired')).toBe(true);
      expect(await store.setCredentialStatus('cred_unknown', 'retired')).toBe(false);
      expect(await store.listCredentials(p.id)).toEqual([{ ...first, status: 'retired' }, second]);
    });

    it('deletes a provider with its credentials, and nothing of other providers', async () => {
      const store = get();
      const doomed = provider();
      const kept = provider();
      await store.insertProvider(doomed, credential(doomed.id));
      await store.insertCredential(credential(doomed.id));
      const keptCredential = credential(kept.id);
      await store.insertProvider(kept, keptCredential);

      expect(await store.deleteProvider(doomed.id)).toBe(true);
      expect(await store.findProvider(doomed.id)).toBeUndefined();
      expect(await store.listCredentials(doomed.id)).toEqual([]);
      expect(await store.listProviders()).toEqual([kept]);
      expect(await store.listCredentials(kept.id)).toEqual([keptCredential]);
      expect(await store.deleteProvider(doomed.id)).toBe(false);
    });
  });
}

function describeProjects(get: () => Store) {
  describe('projects', () => {
    const limits = {
      rpm: 60,
      tpm: 100_000,
      concurrency: 4,
      max_tokens: 4096,
      budgets: [
        { usd: 5, period: 'day' as const },
        { usd: 50.25, period: 'month' as const, soft: true },
      ],
    };

    it('finds a project by id and by name, with its limits', async () => {
      const store = get();
      const p = project({ name: 'web', limits });
      await store.insertProject(p);
      expect(await store.findProject(p.id)).toEqual(p);
      expect(await store.findProject('web')).toEqual(p);
      expect(await store.findProject('Web')).toBeUndefined();
      expect(await store.findProject('prj_unknown')).toBeUndefined();
    });

    it('lists projects oldest first', async () => {
      const store = get();
      const newer = project({ createdAt: T0 + 5 });
      const older = project({ createdAt: T0 });
      await store.insertProject(newer);
      await store.insertProject(older);
      expect(await store.listProjects()).toEqual([older, newer]);
    });

    it('refuses a second project with the same name', async () => {
      const store = get();
      await store.insertProject(project({ name: 'web' }));
      await expectRejects(store.insertProject(project({ name: 'web' })));
      expect(await store.listProjects()).toHaveLength(1);
    });

    it('replaces the limits it is given and nothing else', async () => {
      const store = get();
      const p = project({ name: 'web', limits });
      await store.insertProject(p);
      expect(await store.updateProject(p.id, {})).toEqual(p);
      const updated = await store.updateProject(p.id, { limits: { rpm: 5 } });
      expect(updated).toEqual({ ...p, limits: { rpm: 5 } });
      expect(await store.findProject('web')).toEqual(updated);
      expect(await store.updateProject('prj_unknown', { limits: {} })).toBeUndefined();
    });
  });
}

function describeKeys(get: () => Store) {
  describe('keys', () => {
    let web: ProjectRecord;
    let api: ProjectRecord;
    beforeEach(async () => {
      web = project({ name: 'web' });
      api = project({ name: 'api' });
      await get().insertProject(web);
      await get().insertProject(api);
    });

    const full = (projectId: string): KeyRecord =>
      key(projectId, {
        name: 'checkout-bot',
        status: 'suspended',
        defaultProvider: 'openai',
        scopes: { providers: ['openai'], models: ['gpt-4o*'], endpoints: ['chat/completions'] },
        ipAllow: ['10.0.0.0/8', '::1'],
        limits: { rpm: 60, budgets: [{ usd: 5, period: 'day' }] },
        expiresAt: T0 + DAY,
        createdAt: T0,
        updatedAt: T0 + 1,
        lastUsedAt: T0 + 2,
      });

    it('reads back every field of a key, by id, by hash and by name', async () => {
      const store = get();
      const k = full(web.id);
      const bare = key(web.id);
      await store.insertKey(k);
      await store.insertKey(bare);
      expect(await store.getKey(k.id)).toEqual(k);
      expect(await store.findKeyByHash(k.secretHash)).toEqual(k);
      expect(await store.findKeyByName(web.id, 'checkout-bot')).toEqual(k);
      expect(await store.getKey(bare.id)).toEqual(bare);
    });

    it('finds a rotated key by its previous secret too, and its current secret first', async () => {
      const store = get();
      const k = key(web.id, { secretHash: 'hash-old' });
      await store.insertKey(k);
      const rotated = await store.updateKey(k.id, {
        secretHash: 'hash-new',
        displayPrefix: 'kw_New',
        previousSecretHash: 'hash-old',
        previousValidUntil: T0 + DAY,
        rotatedAt: T0 + 5,
        rotationPolicy: { max_age_seconds: 3600 },
      });
      expect(rotated).toMatchObject({
        secretHash: 'hash-new',
        previousSecretHash: 'hash-old',
        rotatedAt: T0 + 5,
      });
      expect((await store.findKeyByHash('hash-old'))?.id).toBe(k.id);
      expect(await store.findKeyByHash('hash-new')).toEqual(rotated);
      expect((await store.getKey(k.id))?.rotationPolicy).toEqual({ max_age_seconds: 3600 });
    });

    it('lists the keys a key delegated', async () => {
      const store = get();
      const parent = key(web.id, { canDelegate: true });
      const child = key(web.id, { parentId: parent.id, depth: 1, canDelegate: true });
      const grandchild = key(web.id, { parentId: child.id, depth: 2 });
      for (const k of [parent, child, grandchild]) await store.insertKey(k);
      expect(await store.listKeys({ parentId: parent.id })).toEqual([child]);
      expect(await store.listKeys({ parentId: child.id })).toEqual([grandchild]);
    });

    it('finds nothing for an unknown id, hash or name', async () => {
      const store = get();
      await store.insertKey(full(web.id));
      expect(await store.getKey('key_unknown')).toBeUndefined();
      expect(await store.findKeyByHash('0'.repeat(64))).toBeUndefined();
      expect(await store.findKeyByName(web.id, 'Checkout-Bot')).toBeUndefined();
      expect(await store.findKeyByName(api.id, 'checkout-bot')).toBeUndefined();
    });

    it('allows one name per project, the same name in another project', async () => {
      const store = get();
      const inWeb = key(web.id, { name: 'bot' });
      const inApi = key(api.id, { name: 'bot' });
      await store.insertKey(inWeb);
      await store.insertKey(inApi);
      await expectRejects(store.insertKey(key(web.id, { name: 'bot' })));
      expect(await store.findKeyByName(web.id, 'bot')).toEqual(inWeb);
      expect(await store.findKeyByName(api.id, 'bot')).toEqual(inApi);
    });

    it('refuses a second key with the same secret hash', async () => {
      const store = get();
      await store.insertKey(key(web.id, { secretHash: 'same' }));
      await expectRejects(store.insertKey(key(api.id, { secretHash: 'same' })));
      expect(await store.listKeys({})).toHaveLength(1);
    });

    it('refuses a key for a project that does not exist', async () => {
      await expectRejects(get().insertKey(key('prj_unknown')));
    });

    it('lists keys oldest first, all or of one project', async () => {
      const store = get();
      const a = key(web.id, { createdAt: T0 + 3 });
      const b = key(api.id, { createdAt: T0 + 2 });
      const c = key(web.id, { createdAt: T0 + 1 });
      for (const k of [a, b, c]) await store.insertKey(k);
      expect((await store.listKeys({})).map((k) => k.id)).toEqual([c.id, b.id, a.id]);
      expect((await store.listKeys({ projectId: web.id })).map((k) => k.id)).toEqual([c.id, a.id]);
      expect(await store.listKeys({ projectId: 'prj_unknown' })).toEqual([]);
    });

    it('changes only the fields a patch gives', async () => {
      const store = get();
      const k = full(web.id);
      await store.insertKey(k);
      const patches: Parameters<Store['updateKey']>[1][] = [
        { status: 'active' },
        { scopes: { models: ['claude-*'] } },
        { limits: { tpm: 1000 } },
        { ipAllow: ['192.168.0.0/16'] },
        { expiresAt: T0 + 2 * DAY },
        { defaultProvider: 'anthropic' },
        { updatedAt: T0 + 99 },
      ];
      let expected = k;
      for (const patch of patches) {
        expected = { ...expected, ...patch };
        expect(await store.updateKey(k.id, patch), JSON.stringify(patch)).toEqual(expected);
        expect(await store.getKey(k.id)).toEqual(expected);
      }
      expect(await store.updateKey(k.id, {})).toEqual(expected);
    });

    it('clears nullable fields when a patch sets them to null', async () => {
      const store = get();
      const k = full(web.id);
      await store.insertKey(k);
      const cleared = await store.updateKey(k.id, { ipAllow: null, expiresAt: null, defaultProvider: null });
      expect(cleared).toEqual({ ...k, ipAllow: null, expiresAt: null, defaultProvider: null });
    });

    it('changes no other key when patching one', async () => {
      const store = get();
      const k = full(web.id);
      const other = key(web.id);
      await store.insertKey(k);
      await store.insertKey(other);
      await store.updateKey(k.id, { status: 'revoked', limits: { rpm: 1 } });
      expect(await store.getKey(other.id)).toEqual(other);
    });

    it('finds no key to patch for an unknown id', async () => {
      expect(await get().updateKey('key_unknown', { status: 'revoked' })).toBeUndefined();
    });

    it("records each key's last use with its usage batch, never moving it back", async () => {
      const store = get();
      const a = key(web.id);
      const b = key(web.id);
      const c = key(web.id, { lastUsedAt: T0 });
      for (const k of [a, b, c]) await store.insertKey(k);
      await store.insertUsage([
        usage({ keyId: a.id, ts: T0 + 10 }),
        usage({ keyId: b.id, ts: T0 + 20 }),
        usage({ keyId: a.id, ts: T0 + 5 }),
      ]);
      expect((await store.getKey(a.id))?.lastUsedAt).toBe(T0 + 10);
      expect((await store.getKey(b.id))?.lastUsedAt).toBe(T0 + 20);
      expect(await store.getKey(c.id)).toEqual(c);
      // A batch written late by another instance carries an older use.
      await store.insertUsage([usage({ keyId: b.id, ts: T0 + 15 })]);
      expect((await store.getKey(b.id))?.lastUsedAt).toBe(T0 + 20);
    });
  });
}

function describeAdminTokens(get: () => Store) {
  describe('admin tokens', () => {
    it('reads back every field of a token, by hash and in the list oldest first', async () => {
      const store = get();
      const owner = adminToken({ role: 'owner', createdAt: T0 + 1 });
      const scoped = adminToken({
        role: 'project-admin',
        projectIds: ['prj_a', 'prj_b'],
        expiresAt: T0 + DAY,
        createdAt: T0,
      });
      await store.insertAdminToken(owner);
      await store.insertAdminToken(scoped);
      expect(await store.findAdminTokenByHash(scoped.secretHash)).toEqual(scoped);
      expect(await store.findAdminTokenByHash('unknown')).toBeUndefined();
      expect(await store.listAdminTokens()).toEqual([scoped, owner]);
    });

    it('refuses a second token with the same secret hash', async () => {
      const store = get();
      await store.insertAdminToken(adminToken({ secretHash: 'same' }));
      await expectRejects(store.insertAdminToken(adminToken({ secretHash: 'same' })));
      expect(await store.listAdminTokens()).toHaveLength(1);
    });

    it('revokes a token once: a second revocation keeps the first time', async () => {
      const store = get();
      const t = adminToken();
      const other = adminToken();
      await store.insertAdminToken(t);
      await store.insertAdminToken(other);
      expect(await store.revokeAdminToken(t.id, T0 + 5)).toEqual({ ...t, revokedAt: T0 + 5 });
      expect(await store.revokeAdminToken(t.id, T0 + 9)).toEqual({ ...t, revokedAt: T0 + 5 });
      expect(await store.findAdminTokenByHash(t.secretHash)).toEqual({ ...t, revokedAt: T0 + 5 });
      expect(await store.findAdminTokenByHash(other.secretHash)).toEqual(other);
      expect(await store.revokeAdminToken('adt_unknown', T0)).toBeUndefined();
    });
  });
}

type Amounts = Omit<UsageRow, 'group'>;
const ZERO: Amounts = {
  requests: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedTokens: 0,
  costNanoUsd: 0,
  unpricedRequests: 0,
};

/** The same aggregation done in memory: the oracle the store's answers are checked against. */
function aggregate(
  events: readonly UsageEvent[],
  filter: UsageFilter,
  groupBy: UsageGroup | null,
): UsageRow[] {
  const groupOf = (e: UsageEvent): string | number | null => {
    switch (groupBy) {
      case null:
        return null;
      case 'key':
        return e.keyId;
      case 'project':
        return e.projectId;
      case 'model':
        return e.model;
      case 'provider':
        return e.providerName;
      case 'endpoint':
        return e.endpoint;
      case 'hour':
        return Math.floor(e.ts / HOUR) * HOUR;
      case 'day':
        return Math.floor(e.ts / DAY) * DAY;
      case 'parent':
        // The contract's events name keys that are not stored, so they have no parent.
        return null;
    }
  };
  const rows = new Map<string | number | null, UsageRow>();
  if (groupBy === null) rows.set(null, { group: null, ...ZERO });
  for (const e of events) {
    if (filter.keyId !== undefined && e.keyId !== filter.keyId) continue;
    if (filter.projectId !== undefined && e.projectId !== filter.projectId) continue;
    if (filter.model !== undefined && e.model !== filter.model) continue;
    if (filter.providerId !== undefined && e.providerId !== filter.providerId) continue;
    if (filter.from !== undefined && e.ts < filter.from) continue;
    if (filter.to !== undefined && e.ts >= filter.to) continue;
    const group = groupOf(e);
    const row = rows.get(group) ?? { group, ...ZERO };
    row.requests += 1;
    row.errors += e.status >= 400 ? 1 : 0;
    row.inputTokens += e.inputTokens;
    row.outputTokens += e.outputTokens;
    row.cachedTokens += e.cachedTokens;
    row.costNanoUsd += e.costNanoUsd ?? 0;
    row.unpricedRequests += e.costNanoUsd === null ? 1 : 0;
    rows.set(group, row);
  }
  return sortRows([...rows.values()]);
}

const sortRows = (rows: UsageRow[]) =>
  [...rows].sort((a, b) => String(a.group ?? '\u0000').localeCompare(String(b.group ?? '\u0000')));

/**
 * A ledger with every dimension varied: 3 keys over 2 projects, 3 models (one unnamed), 2
 * providers, 3 endpoints, spread over 3 days; every seventh event unpriced. Costs are large and
 * odd so that only exact integer sums add up.
 */
function ledger(count: number): UsageEvent[] {
  const keys = [
    { keyId: 'key_a', projectId: 'prj_a' },
    { keyId: 'key_b', projectId: 'prj_a' },
    { keyId: 'key_c', projectId: 'prj_b' },
  ];
  const models = ['gpt-4o-mini', 'claude-sonnet-4-5', null];
  const providers = [
    { providerId: 'prv_openai', providerName: 'openai' },
    { providerId: 'prv_anthropic', providerName: 'anthropic' },
  ];
  const endpoints = ['chat/completions', 'messages', 'embeddings'];
  return Array.from({ length: count }, (_, i) =>
    usage({
      ts: Date.UTC(2025, 0, 1) + ((i * 7_919_993) % (3 * DAY)),
      ...(keys[i % 3] ?? keys[0]),
      model: models[(i * 5) % 3] ?? null,
      ...(providers[(i >> 1) % 2] ?? providers[0]),
      endpoint: endpoints[(i * 7) % 3] ?? 'chat/completions',
      status: i % 11 === 0 ? 429 : 200,
      inputTokens: 100 + ((i * 37) % 1000),
      outputTokens: (i * 13) % 500,
      cachedTokens: (i * 3) % 50,
      costNanoUsd: i % 7 === 0 ? null : 1_234_567_891 + i * 7,
      streamed: i % 2 === 0,
    }),
  );
}

function describeUsage(get: () => Store) {
  describe('usage ledger', () => {
    it('totals zero on an empty ledger, as one row', async () => {
      expect(await get().queryUsage({}, null)).toEqual([{ group: null, ...ZERO }]);
    });

    it('stores a batch larger than 500 events in one call, every event of it', async () => {
      const store = get();
      const events = ledger(1_234);
      await store.insertUsage(events);
      expect(await store.queryUsage({}, null)).toEqual(aggregate(events, {}, null));
      expect((await store.queryUsage({}, null))[0]?.requests).toBe(1_234);
    });

    it('stores every field of every event of a large batch', async () => {
      const store = get();
      const events = ledger(123).map((event, i) => ({ ...event, id: `evt_${String(i).padStart(4, '0')}` }));
      await store.insertUsage(events);
      const newestFirst = [...events].sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : -1));
      expect(await store.listUsageEvents({}, 500)).toEqual(newestFirst);
    });

    it('accepts an empty batch', async () => {
      await get().insertUsage([]);
      expect((await get().queryUsage({}, null))[0]?.requests).toBe(0);
    });

    it('stores all of a batch or none of it', async () => {
      const store = get();
      const stored = ledger(10);
      await store.insertUsage(stored);
      const batch = ledger(800);
      const duplicate = batch[3];
      if (!duplicate) throw new Error('ledger too short');
      batch[700] = { ...duplicate };
      await expectRejects(store.insertUsage(batch));
      expect(await store.queryUsage({}, null)).toEqual(aggregate(stored, {}, null));
    });

    it.each(['key', 'project', 'model', 'provider', 'endpoint', 'hour', 'day'] as const)(
      'groups by %s with exact sums',
      async (groupBy) => {
        const store = get();
        const events = ledger(700);
        await store.insertUsage(events);
        const rows = await store.queryUsage({}, groupBy);
        expect(sortRows(rows)).toEqual(aggregate(events, {}, groupBy));
        const sum = (field: keyof Amounts) => rows.reduce((total, row) => total + row[field], 0);
        const [totals] = aggregate(events, {}, null);
        expect(sum('requests')).toBe(totals?.requests);
        expect(sum('costNanoUsd')).toBe(totals?.costNanoUsd);
      },
    );

    it('groups hours and days as the epoch milliseconds of their start, in time order', async () => {
      const store = get();
      const day = Date.UTC(2025, 2, 10);
      await store.insertUsage([
        usage({ ts: day + 26 * HOUR + 59 * 60_000 }),
        usage({ ts: day + 2 * HOUR }),
        usage({ ts: day + 2 * HOUR + HOUR - 1 }),
        usage({ ts: day + HOUR - 1 }),
      ]);
      const hours = await store.queryUsage({}, 'hour');
      expect(hours.map((r) => [r.group, r.requests])).toEqual([
        [day, 1],
        [day + 2 * HOUR, 2],
        [day + 26 * HOUR, 1],
      ]);
      const days = await store.queryUsage({}, 'day');
      expect(days.map((r) => [r.group, r.requests])).toEqual([
        [day, 3],
        [day + DAY, 1],
      ]);
    });

    it('includes events from `from` and excludes those from `to` on', async () => {
      const store = get();
      const events = [T0 - 1, T0, T0 + 1, T0 + HOUR - 1, T0 + HOUR].map((ts) => usage({ ts }));
      await store.insertUsage(events);
      const requests = async (filter: UsageFilter) => (await store.queryUsage(filter, null))[0]?.requests;
      expect(await requests({ from: T0 })).toBe(4);
      expect(await requests({ to: T0 + HOUR })).toBe(4);
      expect(await requests({ from: T0, to: T0 + HOUR })).toBe(3);
      expect(await requests({ from: T0 + HOUR, to: T0 + HOUR })).toBe(0);
    });

    it('filters by key, project, model, provider and time, alone and together', async () => {
      const store = get();
      const events = ledger(600);
      await store.insertUsage(events);
      const from = Date.UTC(2025, 0, 1, 12);
      const to = Date.UTC(2025, 0, 3, 6);
      const filters: UsageFilter[] = [
        { keyId: 'key_b' },
        { projectId: 'prj_a' },
        { model: 'claude-sonnet-4-5' },
        { providerId: 'prv_anthropic' },
        { from, to },
        { projectId: 'prj_a', model: 'gpt-4o-mini', providerId: 'prv_openai', from },
        { keyId: 'key_c', projectId: 'prj_a' },
        { keyId: 'key_unknown' },
      ];
      for (const filter of filters) {
        expect(await store.queryUsage(filter, null), JSON.stringify(filter)).toEqual(
          aggregate(events, filter, null),
        );
        expect(sortRows(await store.queryUsage(filter, 'model')), JSON.stringify(filter)).toEqual(
          aggregate(events, filter, 'model'),
        );
      }
    });

    it('counts events without a price as unpriced and adds no cost for them', async () => {
      const store = get();
      await store.insertUsage([
        usage({ model: 'gpt-4o-mini', costNanoUsd: 2_500 }),
        usage({ model: 'my-finetune', costNanoUsd: null, inputTokens: 7 }),
        usage({ model: 'my-finetune', costNanoUsd: null, inputTokens: 3 }),
        usage({ model: 'free-model', costNanoUsd: 0 }),
      ]);
      expect(await store.queryUsage({}, null)).toEqual([
        {
          group: null,
          requests: 4,
          errors: 0,
          inputTokens: 30,
          outputTokens: 20,
          cachedTokens: 0,
          costNanoUsd: 2_500,
          unpricedRequests: 2,
        },
      ]);
      const byModel = sortRows(await store.queryUsage({}, 'model'));
      expect(byModel.map((r) => [r.group, r.costNanoUsd, r.unpricedRequests])).toEqual([
        ['free-model', 0, 0],
        ['gpt-4o-mini', 2_500, 0],
        ['my-finetune', 0, 2],
      ]);
    });

    it('answers ranges that cut through minutes, hours and days exactly as the raw events say', async () => {
      const store = get();
      const events = ledger(900);
      // Several batches, so rollup rows are added to, not only created.
      for (let i = 0; i < events.length; i += 250) await store.insertUsage(events.slice(i, i + 250));
      const start = Date.UTC(2025, 0, 1);
      const ranges: UsageFilter[] = [
        { from: start + 17 * 60_000 + 1234, to: start + 2 * DAY + 5 * HOUR + 59_999 },
        { from: start + HOUR, to: start + 2 * DAY },
        { from: start + 123_456 },
        { to: start + DAY + 7 * HOUR + 30 * 60_000 + 17 },
        { from: start + 59_999, to: start + 60_001, keyId: 'key_a' },
      ];
      for (const filter of ranges) {
        for (const groupBy of [null, 'hour', 'day', 'key', 'model'] as const) {
          expect(
            sortRows(await store.queryUsage(filter, groupBy)),
            JSON.stringify({ filter, groupBy }),
          ).toEqual(aggregate(events, filter, groupBy));
        }
      }
    });

    it('prunes raw events before a time and keeps their totals in the rollups', async () => {
      const store = get();
      const events = [T0 - DAY, T0 - HOUR, T0 + 1].map((ts, i) => usage({ ts, inputTokens: i + 1 }));
      await store.insertUsage(events);
      expect(await store.pruneUsage(T0)).toBe(2);
      expect((await store.listUsageEvents({}, 10)).map((e) => e.ts)).toEqual([T0 + 1]);
      // Whole days are answered from the rollups, so the pruned events still count.
      expect(
        (await store.queryUsage({ to: Math.floor(T0 / DAY) * DAY + DAY }, 'day'))[0]?.requests,
      ).toBeGreaterThan(0);
      expect((await store.queryUsage({}, null))[0]?.requests).toBe(3);
    });

    it('lists raw events newest first, filtered by key', async () => {
      const store = get();
      const a = usage({ ts: T0, keyId: 'key_a' });
      const b = usage({ ts: T0 + 5, keyId: 'key_a' });
      const c = usage({ ts: T0 + 9, keyId: 'key_b' });
      await store.insertUsage([a, b, c]);
      expect(await store.listUsageEvents({ keyId: 'key_a' }, 10)).toEqual([b, a]);
      expect(await store.listUsageEvents({}, 1)).toEqual([c]);
    });

    it('keeps costs and token counts beyond 32 bits exact', async () => {
      const store = get();
      const big = 4_000_000_000_123;
      await store.insertUsage([
        usage({ costNanoUsd: big, inputTokens: 3_000_000_000 }),
        usage({ costNanoUsd: big + 2, inputTokens: 3_000_000_001 }),
      ]);
      const [totals] = await store.queryUsage({}, null);
      expect(totals?.costNanoUsd).toBe(2 * big + 2);
      expect(totals?.inputTokens).toBe(6_000_000_001);
    });
  });
}
