import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSecret } from '../../src/domain/key-format.js';
import { cli } from '../cli/cli-harness.js';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Drives traffic, admin changes, failed sign-ins, throttling and error paths, then searches every
 * output keywarden has (logs at trace level, responses and their headers, the database files,
 * the audit export, metrics and the doctor report) for every secret that was used.
 */
describe('no secret in any output', () => {
  let gw: TestGateway;
  let fake: FakeUpstream;
  const outputs: string[] = [];
  const secrets: string[] = [DEFAULT_OPENAI_KEY, 'sk-second-credential-0000111122223333'];
  let auditExport = '';

  const keep = async (res: Response) => {
    outputs.push(JSON.stringify([...res.headers.entries()]), await res.text());
  };

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway({ captureLogs: true });
    secrets.push(gw.adminToken);
    const admin = async (method: string, path: string, body?: unknown, token?: string) => {
      const res = await gw.admin(method, path, body, token);
      outputs.push(JSON.stringify(res.body));
      return res.body;
    };
    await admin('POST', '/admin/v1/providers', {
      name: 'openai',
      type: 'openai',
      base_url: fake.url,
      api_key: DEFAULT_OPENAI_KEY,
    });
    await admin('POST', '/admin/v1/providers/openai/credentials', { api_key: secrets[1] });
    await admin('POST', '/admin/v1/providers', {
      name: 'bad',
      type: 'openai',
      base_url: 'http://169.254.169.254',
      api_key: 'sk-refused-provider-secret-999',
    });
    secrets.push('sk-refused-provider-secret-999');
    await admin('POST', '/admin/v1/projects', { name: 'web' });
    // Creation answers are where secrets are shown, once, by design: they are not kept as outputs.
    const key = (
      await gw.admin('POST', '/admin/v1/keys', { name: 'app', project: 'web', default_provider: 'openai' })
    ).body;
    const token = (await gw.admin('POST', '/admin/v1/admin-tokens', { name: 'ci', role: 'admin' })).body;
    secrets.push(key.key, token.token);
    await admin('PATCH', `/admin/v1/keys/${key.id}`, { limits: { budgets: [{ usd: 1, period: 'day' }] } });

    const wrongToken = issueSecret('admin').secret;
    const wrongKey = issueSecret('key').secret;
    secrets.push(wrongToken, wrongKey);
    for (let i = 0; i < 25; i++) await admin('GET', '/admin/v1/keys', undefined, wrongToken);
    await admin('GET', '/admin/v1/keys', undefined, token.token);
    await admin('POST', '/admin/v1/keys', { name: 'x', project: 'web', limits: '{'.repeat(100) });

    const openai = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const _ of stream) {
      // drain
    }
    const post = (k: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json', ...headers },
        body,
      }).then(keep);
    const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    for (let i = 0; i < 25; i++) await post(wrongKey, chat);
    await post(key.key, chat, { 'x-fake-status': '500' });
    await post(key.key, `{"model":${'['.repeat(5000)}`);
    await post(key.key, chat, { 'x-api-key': key.key, cookie: `session=${key.key}` });
    await fetch(`${gw.url}/metrics`).then(keep);

    writeFileSync(
      join(gw.dataDir, 'keywarden.yaml'),
      'providers:\n  - api_key: sk-inline-config-secret-abcdefgh\n',
    );
    secrets.push('sk-inline-config-secret-abcdefgh');
    await admin('GET', '/admin/v1/doctor');
    await gw.flushUsage();
    const run = await cli(['audit', 'export', '--url', gw.url], {
      realFetch: true,
      env: { KEYWARDEN_ADMIN_TOKEN: gw.adminToken },
    });
    expect(run.code).toBe(0);
    auditExport = run.stdout;
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  const searchable = () => ({
    responses: outputs.join('\n'),
    logs: gw.logs.join(''),
    audit: auditExport,
    database: readdirSync(gw.dataDir)
      .filter((name) => name.startsWith('keywarden.db'))
      .map((name) => readFileSync(join(gw.dataDir, name)).toString('latin1'))
      .join(''),
  });

  it('drove the paths it meant to', () => {
    const { audit, logs } = searchable();
    expect(audit).toContain('auth.failed');
    expect(audit).toContain('provider.credential_added');
    expect(logs.length).toBeGreaterThan(0);
    expect(outputs.join('')).toContain('rate_limited');
  });

  it.each(['responses', 'logs', 'audit', 'database'] as const)(
    'keeps every secret out of the %s',
    (where) => {
      const text = searchable()[where];
      for (const secret of secrets) expect(text, secret.slice(0, 6)).not.toContain(secret);
    },
  );
});
