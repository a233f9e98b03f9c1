import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createKeywarden } from '../../src/keywarden.js';
import { createLogger } from '../../src/lib/logger.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { addOpenAiProvider, startGateway, type TestGateway, tempDataDir } from '../helpers/gateway.js';

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('HTTP hardening', () => {
  let gw: TestGateway;
  let fake: FakeUpstream;
  let clock: ManualClock;
  let realKey: string;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    clock = manualClock();
    const dataDir = tempDataDir();
    writeFileSync(
      join(dataDir, 'keywarden.yaml'),
      'http:\n  idle_timeout_ms: 400\n  auth_failure_burst: 5\n  auth_failures_per_minute: 6\n',
    );
    gw = await startGateway({ clock, dataDir });
    await addOpenAiProvider(gw, fake.url);
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    realKey = (
      await gw.admin('POST', '/admin/v1/keys', { name: 'app', project: 'web', default_provider: 'openai' })
    ).body.key;
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  const proxy = (key: string, body: string = JSON.stringify(chat)) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });

  it('sends security headers and a strict CSP on its own answers', async () => {
    for (const path of ['/', '/admin/v1/projects', '/healthz']) {
      const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      // The dashboard page loads its own scripts and styles; API answers may load nothing at all.
      expect(csp).toContain(path === '/' ? "script-src 'self'" : "default-src 'none'");
    }
    const admin = await fetch(`${gw.url}/admin/v1/keys`, {
      headers: { authorization: `Bearer ${gw.adminToken}` },
    });
    expect(admin.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses deeply nested JSON in the caller’s shape', async () => {
    const admin = await fetch(`${gw.url}/admin/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
      body: `{"name":"x","limits":${nested(10_000)}}`,
    });
    expect(admin.status).toBe(400);
    expect(await admin.json()).toMatchObject({ error: { code: 'invalid_json' } });
    const viaProxy = await proxy(realKey, `{"model":"gpt-4o-mini","messages":${nested(100_000)}}`);
    expect(viaProxy.status).toBe(400);
    expect(await viaProxy.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'invalid_json' },
    });
  });

  it('refuses an admin body over the limit with 413', async () => {
    const res = await fetch(`${gw.url}/admin/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it('drops a client that goes silent in the middle of its headers', async () => {
    const { port } = new URL(gw.url);
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'),
      );
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', () => undefined);
      setTimeout(() => reject(new Error('the silent connection was never closed')), 10_000).unref();
    });
    expect(closedAfter).toBeLessThan(5_000);
  });

  it('slows a brute force of keys without locking out the real key', async () => {
    expect((await proxy(realKey)).status).toBe(200);
    const guesses: number[] = [];
    for (let i = 0; i < 8; i++) guesses.push((await proxy(`kw_${'x'.repeat(38)}`)).status);
    expect(guesses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(guesses.slice(5)).toEqual([429, 429, 429]);
    const refused = await proxy(`kw_${'y'.repeat(38)}`);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await proxy(realKey)).status).toBe(200);
    clock.advance(60_000);
    expect((await proxy(`kw_${'z'.repeat(38)}`)).status).toBe(401);
  });

  it('slows a brute force of admin tokens without locking out the owner', async () => {
    clock.advance(120_000);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await gw.admin('GET', '/admin/v1/keys', undefined, `kwa_guess${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect((await gw.admin('GET', '/admin/v1/keys')).status).toBe(200);
  });
});

describe('admin API on its own listener', () => {
  it('serves the admin API on admin_port and only the proxy on the main port', async () => {
    const dataDir = tempDataDir();
    const config = loadConfig(
      { dataDir, port: 0, host: '127.0.0.1' },
      { KEYWARDEN_LOG_LEVEL: 'silent', KEYWARDEN_ADMIN_PORT: '0', KEYWARDEN_ADMIN_HOST: '127.0.0.1' },
    );
    expect(config).toMatchObject({ adminPort: 0, adminHost: '127.0.0.1' });
    const kw = await createKeywarden(config, { logger: createLogger('silent') });
    try {
      await kw.server.listen({ host: '127.0.0.1', port: 0 });
      const adminServer = kw.adminServer;
      if (!adminServer) throw new Error('no separate admin listener');
      await adminServer.listen({ host: '127.0.0.1', port: 0 });
      const proxyPort = (kw.server.server.address() as { port: number }).port;
      const adminPort = (adminServer.server.address() as { port: number }).port;
      const headers = { authorization: `Bearer ${kw.firstOwnerToken}` };
      expect((await fetch(`http://127.0.0.1:${adminPort}/admin/v1/projects`, { headers })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${proxyPort}/admin/v1/projects`, { headers })).status).toBe(404);
      const viaAdmin = await fetch(`http://127.0.0.1:${adminPort}/v1/models`, { headers });
      expect(viaAdmin.status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${proxyPort}/v1/models`, { headers })).status).toBe(401);
    } finally {
      await kw.close();
    }
  });
});
