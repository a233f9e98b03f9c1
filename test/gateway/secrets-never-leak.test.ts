import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ANTHROPIC_KEY,
  DEFAULT_OPENAI_KEY,
  type FakeUpstream,
  startFakeUpstream,
} from '../fakes/fake-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Drives ordinary traffic and every error path we can reach, keeping every response body and
 * header, then searches them, the logs (at trace level) and the raw database files for the secrets used.
 */
describe('secrets never leak', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  const responses: string[] = [];
  const secrets: string[] = [DEFAULT_OPENAI_KEY, DEFAULT_ANTHROPIC_KEY];

  const record = async (response: Response) => {
    responses.push(JSON.stringify([...response.headers.entries()]), await response.text());
  };

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway({ captureLogs: true });
    secrets.push(gw.adminToken);
    const admin = async (method: string, path: string, body?: unknown) => {
      const result = await gw.admin(method, path, body);
      responses.push(JSON.stringify(result.body));
      return result.body;
    };
    await admin('POST', '/admin/v1/providers', {
      name: 'openai',
      type: 'openai',
      base_url: fake.url,
      api_key: DEFAULT_OPENAI_KEY,
    });
    await admin('POST', '/admin/v1/providers', {
      name: 'anthropic',
      type: 'anthropic',
      base_url: fake.url,
      api_key: DEFAULT_ANTHROPIC_KEY,
    });
    await admin('POST', '/admin/v1/providers', {
      name: 'dup',
      type: 'openai',
      base_url: fake.url,
      api_key: 'sk-too',
    });
    await admin('POST', '/admin/v1/projects', { name: 'web' });
    // Creation answers are the one place a key's secret appears, by design: kept out of `responses`.
    const createKey = async (name: string) =>
      (await gw.admin('POST', '/admin/v1/keys', { name, project: 'web', default_provider: 'openai' })).body;
    const created = await createKey('app');
    const revoked = await createKey('gone');
    expect(created.key).toMatch(/^kw_/);
    secrets.push(created.key, revoked.key);
    await admin('POST', `/admin/v1/keys/${revoked.id}/revoke`);
    await admin('GET', '/admin/v1/providers');
    await admin('GET', '/admin/v1/keys');
    await admin('GET', `/admin/v1/keys/${created.id}`);
    await admin('POST', '/admin/v1/keys', { name: 'bad', project: 'web', ip_allow: ['nope'] });
    await admin('POST', '/admin/v1/providers', { name: 'x', type: 'openai', api_key: 12 });

    const openai = new OpenAI({ apiKey: created.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
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
    const anthropic = new Anthropic({ apiKey: created.key, baseURL: `${gw.url}/anthropic`, maxRetries: 0 });
    await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });

    const post = (path: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }).then(record);
    const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    await post('/v1/chat/completions', revoked.key, chat);
    await post('/v1/chat/completions', `${created.key.slice(0, -1)}x`, chat);
    await post('/v1/chat/completions', created.key, '{not json');
    await post('/v1/chat/completions', created.key, { ...chat, model: '../../etc/passwd' });
    await post('/v1/chat/completions', created.key, chat, { 'x-fake-status': '401' });
    await post('/v1/chat/completions', created.key, chat, { 'x-fake-status': '500' });
    await post('/nowhere/v1/chat/completions', created.key, chat);
    await post('/v1/chat/completions', created.key, 'x'.repeat(40 * 1024 * 1024));
    await gw.flushUsage();
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  it('keeps every secret out of API responses and their headers', () => {
    const text = responses.join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('keeps every secret out of the logs, even at trace level', () => {
    expect(gw.logs.length).toBeGreaterThan(0);
    const text = gw.logs.join('');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('stores neither provider secrets nor key secrets in the database files', () => {
    const files = readdirSync(gw.dataDir).filter((name) => name.startsWith('keywarden.db'));
    expect(files).toContain('keywarden.db');
    const raw = files.map((name) => readFileSync(join(gw.dataDir, name)).toString('latin1')).join('');
    for (const secret of secrets) expect(raw).not.toContain(secret);
    expect(raw).toContain('gpt-4o-mini');
  });

  it('never sends the client key upstream', () => {
    const upstream = JSON.stringify(fake.requests.map((r) => r.headers));
    for (const secret of secrets.slice(2)) expect(upstream).not.toContain(secret);
  });
});
