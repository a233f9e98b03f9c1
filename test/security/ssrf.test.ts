import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway, tempDataDir } from '../helpers/gateway.js';

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('provider base URLs cannot reach internal addresses', () => {
  let gw: TestGateway;
  let guarded: TestGateway;
  let target: { server: Server; port: number };
  let redirector: { server: Server; port: number };
  let targetHits = 0;

  beforeAll(async () => {
    target = await listen((_req, res) => {
      targetHits++;
      res.end('{"secret":"instance credentials"}');
    });
    redirector = await listen((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/latest/meta-data/` }).end();
    });
    gw = await startGateway();
    const dataDir = tempDataDir();
    writeFileSync(
      join(dataDir, 'keywarden.yaml'),
      'proxy:\n  upstream_deny: ["127.0.0.0/8", "blocked.example"]\n',
    );
    guarded = await startGateway({ dataDir });
  });

  afterAll(async () => {
    await Promise.all([gw.stop(), guarded.stop()]);
    target.server.close();
    redirector.server.close();
  });

  const addProvider = (g: TestGateway, name: string, base_url: string) =>
    g.admin('POST', '/admin/v1/providers', {
      name,
      type: 'openai-compatible',
      base_url,
      api_key: 'sk-ssrf-test-key',
    });

  it.each([
    'http://169.254.169.254/',
    'http://2852039166/',
    'http://0xa9fea9fe/',
    'http://0251.0376.0251.0376/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[fe80::1]/',
    'http://metadata.google.internal/',
  ])('refuses %s when the provider is saved', async (url) => {
    const res = await addProvider(gw, `p${Math.floor(Math.random() * 1e9)}`, url);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_error', field: 'base_url' });
  });

  it('keeps loopback and private addresses allowed by default', async () => {
    expect((await addProvider(gw, 'ollama', 'http://127.0.0.1:11434')).status).toBe(201);
    expect((await addProvider(gw, 'vllm', 'http://10.0.0.5:8000')).status).toBe(201);
  });

  it('applies the operator deny list when saving', async () => {
    expect((await addProvider(guarded, 'direct', `http://127.0.0.1:${target.port}`)).status).toBe(400);
    expect((await addProvider(guarded, 'named', 'http://blocked.example')).status).toBe(400);
  });

  it('checks the address a host name resolves to when connecting', async () => {
    // `localhost` passes the save-time check by name; it resolves into the denied 127.0.0.0/8.
    expect((await addProvider(guarded, 'sneaky', `http://localhost:${target.port}`)).status).toBe(201);
    await guarded.admin('POST', '/admin/v1/projects', { name: 'web' });
    const key = (
      await guarded.admin('POST', '/admin/v1/keys', { name: 'k', project: 'web', default_provider: 'sneaky' })
    ).body;
    const before = targetHits;
    const res = await fetch(`${guarded.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat),
    });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_address_refused');
    expect(targetHits).toBe(before);
  });

  it('never follows a redirect from a provider', async () => {
    expect((await addProvider(gw, 'redirecting', `http://127.0.0.1:${redirector.port}`)).status).toBe(201);
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    const key = (
      await gw.admin('POST', '/admin/v1/keys', { name: 'k', project: 'web', default_provider: 'redirecting' })
    ).body;
    const before = targetHits;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat),
    });
    expect(res.status).toBe(302);
    expect(targetHits).toBe(before);
  });
});
