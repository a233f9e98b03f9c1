/**
 * External secret stores, tested against local stand-ins (test/fakes/fake-vault.ts and
 * fake-aws-secrets.ts) that implement the documented API surface keywarden uses; the AWS side is
 * driven by the real @aws-sdk/client-secrets-manager pointed at the stand-in's endpoint.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialUpstream, startCredentialUpstream } from '../fakes/credential-upstream.js';
import { type FakeAwsSecrets, startFakeAwsSecrets } from '../fakes/fake-aws-secrets.js';
import { type FakeVault, startFakeVault } from '../fakes/fake-vault.js';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { adminOk } from '../proxy/proxy-env.js';

const V1 = 'sk-from-store-version-1';
const V2 = 'sk-from-store-version-2';
const V3 = 'sk-from-store-version-3';
const ROOT = 'hvs.root-token';

let upstream: CredentialUpstream;
let gw: TestGateway | undefined;
let clock: ManualClock;

beforeAll(async () => {
  upstream = await startCredentialUpstream([V1, V2, V3]);
  // The SDK's standard credential chain finds these in the environment.
  process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFORTESTS';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-access-key';
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  upstream.hits.clear();
});

async function gatewayWith(env: Record<string, string>, secretRef: string): Promise<OpenAI> {
  clock = manualClock();
  gw = await startGateway({ clock, env });
  const created = await gw.admin('POST', '/admin/v1/providers', {
    name: 'llm',
    type: 'openai-compatible',
    base_url: upstream.url,
    secret_ref: secretRef,
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  await adminOk(gw, 'POST', '/admin/v1/projects', { name: 'app' });
  const key = await adminOk<{ key: string }>(gw, 'POST', '/admin/v1/keys', {
    name: 'app-key',
    project: 'app',
    default_provider: 'llm',
  });
  return new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
}

/** Which upstream secret the next request was sent with. */
async function usedSecret(client: OpenAI): Promise<string | undefined> {
  upstream.hits.clear();
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  return [...upstream.hits.keys()][0];
}

describe('vault: references (KV v2)', () => {
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await startFakeVault({ rootToken: ROOT });
  });
  afterAll(async () => {
    await vault.close();
  });

  it('resolves at use, caches for the TTL, and picks up a changed secret after it or on refresh', async () => {
    vault.put('secret', 'providers/llm', { api_key: V1 });
    const client = await gatewayWith(
      { VAULT_ADDR: vault.url, VAULT_TOKEN: ROOT },
      'vault:secret/providers/llm#api_key',
    );
    expect(await usedSecret(client)).toBe(V1);

    vault.put('secret', 'providers/llm', { api_key: V2 });
    expect(await usedSecret(client)).toBe(V1);
    clock.advance(301_000);
    expect(await usedSecret(client)).toBe(V2);

    vault.put('secret', 'providers/llm', { api_key: V3 });
    await adminOk(gw as TestGateway, 'POST', '/admin/v1/providers/llm/refresh');
    expect(await usedSecret(client)).toBe(V3);
  });

  it('a pinned version stays on that version', async () => {
    vault.put('secret', 'pinned/llm', { api_key: V1 });
    vault.put('secret', 'pinned/llm', { api_key: V2 });
    const client = await gatewayWith(
      { VAULT_ADDR: vault.url, VAULT_TOKEN: ROOT },
      'vault:secret/pinned/llm#api_key@1',
    );
    expect(await usedSecret(client)).toBe(V1);
  });

  it('a missing secret is a clear 502, never a crash', async () => {
    const client = await gatewayWith(
      { VAULT_ADDR: vault.url, VAULT_TOKEN: ROOT },
      'vault:secret/nothing/here#api_key',
    );
    await expect(usedSecret(client)).rejects.toMatchObject({
      status: 502,
      code: 'upstream_credential_unavailable',
    });
  });
});

describe('vault: AppRole login in a namespace', () => {
  it('logs in with role and secret id, sends the namespace, and logs in again when its token expires', async () => {
    const vault = await startFakeVault({
      rootToken: ROOT,
      roleId: 'role-1',
      secretId: 'secret-1',
      namespace: 'team-a',
    });
    try {
      vault.put('kv', 'llm', { key: V2 });
      const client = await gatewayWith(
        {
          VAULT_ADDR: vault.url,
          VAULT_ROLE_ID: 'role-1',
          VAULT_SECRET_ID: 'secret-1',
          VAULT_NAMESPACE: 'team-a',
        },
        'vault:kv/llm',
      );
      expect(await usedSecret(client)).toBe(V2);
      vault.expireTokens();
      vault.put('kv', 'llm', { key: V3 });
      clock.advance(301_000);
      expect(await usedSecret(client)).toBe(V3);
    } finally {
      await vault.close();
    }
  });
});

describe('aws-sm: references (AWS Secrets Manager through the official SDK)', () => {
  let aws: FakeAwsSecrets;
  beforeAll(async () => {
    aws = await startFakeAwsSecrets();
  });
  afterAll(async () => {
    await aws.close();
  });

  it('reads a JSON field with signed requests in the configured region, and refreshes after the TTL', async () => {
    aws.secrets.set('prod/llm', JSON.stringify({ api_key: V1, other: 'x' }));
    const client = await gatewayWith(
      { AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url, AWS_REGION: 'eu-west-1' },
      'aws-sm:prod/llm#api_key',
    );
    expect(await usedSecret(client)).toBe(V1);
    expect(aws.calls.at(-1)).toMatchObject({
      target: 'secretsmanager.GetSecretValue',
      secretId: 'prod/llm',
      signed: true,
      region: 'eu-west-1',
    });
    aws.secrets.set('prod/llm', JSON.stringify({ api_key: V2 }));
    clock.advance(301_000);
    expect(await usedSecret(client)).toBe(V2);
  });

  it('takes a plain string secret whole, and a region named in the reference', async () => {
    aws.secrets.set('plain/llm', V3);
    const client = await gatewayWith(
      { AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url },
      'aws-sm:plain/llm?region=ap-south-1',
    );
    expect(await usedSecret(client)).toBe(V3);
    expect(aws.calls.at(-1)?.region).toBe('ap-south-1');
  });

  it('refuses a malformed reference with the field named', async () => {
    clock = manualClock();
    gw = await startGateway({ clock });
    const res = await gw.admin('POST', '/admin/v1/providers', {
      name: 'bad',
      type: 'openai',
      secret_ref: 'vault:no-path',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('secret_ref');
  });
});
