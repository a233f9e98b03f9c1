import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, issueSecret } from '../../src/domain/key-format.js';
import { startGateway, type TestGateway, tempDataDir } from '../helpers/gateway.js';

/** A locally generated stand-in for GitHub's secret scanning signing key. */
function signingKey(): { privateKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

type Feedback = Array<{ label: string }>;

const KEY_ID = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c';
const github = signingKey();
const stranger = signingKey();

function signed(body: string, privateKey: KeyObject = github.privateKey, keyId = KEY_ID) {
  return {
    'content-type': 'application/json',
    'github-public-key-identifier': keyId,
    'github-public-key-signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
  };
}

describe('POST /leak-reports/github (secret scanning partner program)', () => {
  let gateway: TestGateway;
  const report = (body: string, headers: Record<string, string>) =>
    fetch(`${gateway.url}/leak-reports/github`, { method: 'POST', headers, body });

  beforeAll(async () => {
    const keysFile = join(tempDataDir(), 'github-keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: github.pem, is_current: true }] }),
    );
    gateway = await startGateway({ captureLogs: true, env: { KEYWARDEN_GITHUB_PUBLIC_KEYS_FILE: keysFile } });
    await gateway.admin('POST', '/admin/v1/projects', { name: 'web' });
    await gateway.admin('POST', '/admin/v1/providers', {
      name: 'openai',
      type: 'openai',
      base_url: 'http://127.0.0.1:9',
      api_key: 'sk-upstream-never-reached',
    });
  });
  afterAll(() => gateway.stop());

  const createKey = async (name: string) =>
    (await gateway.admin('POST', '/admin/v1/keys', { name, project: 'web', default_provider: 'openai' }))
      .body;

  it('revokes a reported live key, answers in GitHub feedback format, and the key is refused after', async () => {
    const key = await createKey('leaked-on-github');
    const foreign = issueSecret('key').secret;
    const url = 'https://github.com/octo/app/blob/12345600b9cbe38a219f39a9941c9319b600c002/.env';
    const body = JSON.stringify([
      { token: key.key, type: 'keywarden_key', url, source: 'content' },
      { token: foreign, type: 'keywarden_key', url, source: 'content' },
      { token: 'kw_notarealkeyatall', type: 'keywarden_key', url: '', source: 'commit' },
    ]);
    const answer = await report(body, signed(body));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual([
      { token_hash: hashSecret(key.key), token_type: 'keywarden_key', label: 'true_positive' },
      { token_hash: hashSecret(foreign), token_type: 'keywarden_key', label: 'false_positive' },
      { token_hash: hashSecret('kw_notarealkeyatall'), token_type: 'keywarden_key', label: 'false_positive' },
    ]);

    expect((await gateway.admin('GET', `/admin/v1/keys/${key.id}`)).body.status).toBe('revoked');
    const client = new OpenAI({ apiKey: key.key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const logs = gateway.logs.join('');
    expect(logs).toContain(`key ${key.id} revoked: leaked: reported by github-secret-scanning at ${url}`);
    expect(logs).not.toContain(key.key);
  });

  it('says true_positive again for a key already revoked, without error', async () => {
    const key = await createKey('reported-twice');
    const body = JSON.stringify([{ token: key.key, type: 'keywarden_key', url: '', source: 'npm' }]);
    await report(body, signed(body));
    const again = await report(body, signed(body));
    expect(again.status).toBe(200);
    expect(((await again.json()) as Feedback)[0]?.label).toBe('true_positive');
  });

  it('revokes a reported admin token', async () => {
    const token = (await gateway.admin('POST', '/admin/v1/admin-tokens', { name: 'ci', role: 'viewer' }))
      .body;
    expect((await gateway.admin('GET', '/admin/v1/keys', undefined, token.token)).status).toBe(200);
    const body = JSON.stringify([
      { token: token.token, type: 'keywarden_admin_token', url: '', source: 'content' },
    ]);
    expect(((await (await report(body, signed(body))).json()) as Feedback)[0]?.label).toBe('true_positive');
    expect((await gateway.admin('GET', '/admin/v1/keys', undefined, token.token)).status).toBe(401);
  });

  describe('refuses reports it cannot trust, and revokes nothing', () => {
    let key: { id: string; key: string };
    let body: string;
    beforeAll(async () => {
      key = await createKey('must-survive');
      body = JSON.stringify([{ token: key.key, type: 'keywarden_key', url: '', source: 'content' }]);
    });

    it.each([
      ['unsigned', () => ({ 'content-type': 'application/json' })],
      ['signed by another key under the known identifier', () => signed(body, stranger.privateKey)],
      ['signed with an unknown key identifier', () => signed(body, github.privateKey, 'f'.repeat(64))],
      ['with a signature over a different body', () => signed(body.replace('content', 'commit'))],
      [
        'with a signature that is not base64 DER',
        () => ({ ...signed(body), 'github-public-key-signature': 'not-a-signature' }),
      ],
    ])('%s: 401 invalid_signature', async (_name, headers) => {
      const answer = await report(body, headers());
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
      expect((await gateway.admin('GET', `/admin/v1/keys/${key.id}`)).body.status).toBe('active');
    });

    it('a signed body that is not a list of matches: 400', async () => {
      const bad = JSON.stringify({ token: key.key });
      const answer = await report(bad, signed(bad));
      expect(answer.status).toBe(400);
      expect((await gateway.admin('GET', `/admin/v1/keys/${key.id}`)).body.status).toBe('active');
    });
  });
});

describe('POST /leak-reports/github without configured public keys', () => {
  it('is off: 404, whatever is sent', async () => {
    const gateway = await startGateway();
    try {
      const body = '[]';
      const answer = await fetch(`${gateway.url}/leak-reports/github`, {
        method: 'POST',
        headers: signed(body),
        body,
      });
      expect(answer.status).toBe(404);
    } finally {
      await gateway.stop();
    }
  });
});
