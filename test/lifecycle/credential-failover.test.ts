import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../cli/cli-harness.js';
import { type CredentialUpstream, startCredentialUpstream } from '../fakes/credential-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { adminOk } from '../proxy/proxy-env.js';

const KEY_A = 'sk-fake-credential-aaaa';
const KEY_B = 'sk-fake-credential-bbbb';
const KEY_C = 'sk-fake-credential-cccc';

let gw: TestGateway;
let upstream: CredentialUpstream;
let client: OpenAI;

interface CredentialView {
  id: string;
  fingerprint: string;
  status: string;
  health: string;
  last_error: string | null;
}

beforeEach(async () => {
  upstream = await startCredentialUpstream([KEY_A, KEY_B, KEY_C]);
  gw = await startGateway({ captureLogs: true });
  await adminOk(gw, 'POST', '/admin/v1/providers', {
    name: 'llm',
    type: 'openai-compatible',
    base_url: upstream.url,
    api_key: KEY_A,
  });
  await adminOk(gw, 'POST', '/admin/v1/providers/llm/credentials', { api_key: KEY_B, priority: 1 });
  await adminOk(gw, 'POST', '/admin/v1/projects', { name: 'app' });
  const key = await adminOk<{ key: string }>(gw, 'POST', '/admin/v1/keys', {
    name: 'app-key',
    project: 'app',
    default_provider: 'llm',
  });
  client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 });
});

afterEach(async () => {
  await gw.stop();
  await upstream.close();
});

const chat = () =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).then(
    () => 'ok',
    (error: unknown) => (error instanceof OpenAI.APIError ? `failed ${error.status}` : 'failed'),
  );

const credentials = async () =>
  (await adminOk<{ credentials: CredentialView[] }>(gw, 'GET', '/admin/v1/providers/llm')).credentials;

describe('provider credential failover', () => {
  it('prefers the lower priority number while it works', async () => {
    for (let i = 0; i < 5; i++) expect(await chat()).toBe('ok');
    expect(upstream.hits.get(KEY_A)).toBe(5);
    expect(upstream.hits.get(KEY_B)).toBeUndefined();
  });

  it('a credential refused mid-traffic with 401 is marked failing, alerted, and no client request fails', async () => {
    const results: string[] = [];
    const traffic = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 10; i++) results.push(await chat());
    });
    const failure = (async () => {
      while (results.length < 8) await new Promise((resolve) => setTimeout(resolve, 2));
      upstream.status.set(KEY_A, 401);
    })();
    await Promise.all([...traffic, failure]);
    expect(results.filter((r) => r !== 'ok')).toEqual([]);
    expect(upstream.hits.get(KEY_B)).toBeGreaterThan(0);

    const [a, b] = await credentials();
    expect(a).toMatchObject({ health: 'failing', last_error: 'upstream answered 401' });
    expect(b).toMatchObject({ health: 'ok' });
    expect(gw.logs.filter((line) => line.includes('marked failing'))).toHaveLength(1);
    expect(gw.logs.join('\n')).not.toContain(KEY_A);

    // Traffic now avoids it: the failing credential is not tried first any more.
    const before = upstream.hits.get(KEY_A);
    expect(await chat()).toBe('ok');
    expect(upstream.hits.get(KEY_A)).toBe(before);

    // Fixed upstream: a refresh clears the mark and the preferred credential serves again.
    upstream.status.set(KEY_A, 200);
    const run = await cli(['providers', 'refresh', 'llm', '--url', gw.url], {
      env: { KEYWARDEN_ADMIN_TOKEN: gw.adminToken },
      realFetch: true,
    });
    expect(run.code, run.stderr).toBe(0);
    expect((await credentials()).map((c) => c.health)).toEqual(['ok', 'ok']);
    expect(await chat()).toBe('ok');
    expect(upstream.hits.get(KEY_A)).toBe((before ?? 0) + 1);
  });

  it('the health shows in keywarden providers show', async () => {
    upstream.status.set(KEY_A, 403);
    expect(await chat()).toBe('ok');
    const run = await cli(['providers', 'show', 'llm', '--url', gw.url], {
      env: { KEYWARDEN_ADMIN_TOKEN: gw.adminToken },
      realFetch: true,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/failing/);
    expect(run.stdout).toContain('upstream answered 403');
    expect(run.stdout).not.toContain(KEY_A);
  });

  it.each([429, 500, 503])(
    'on %i, retries on another credential and the client sees a success',
    async (status) => {
      upstream.status.set(KEY_A, status);
      expect(await chat()).toBe('ok');
      expect(upstream.hits.get(KEY_A)).toBe(1);
      expect(upstream.hits.get(KEY_B)).toBe(1);
      // 429 and 5xx do not mark a credential failing.
      expect((await credentials())[0]?.health).toBe('ok');
    },
  );

  it('when every credential answers 429, the client gets the 429 after bounded retries', async () => {
    upstream.status.set(KEY_A, 429);
    upstream.status.set(KEY_B, 429);
    expect(await chat()).toBe('failed 429');
    const total = (upstream.hits.get(KEY_A) ?? 0) + (upstream.hits.get(KEY_B) ?? 0);
    expect(total).toBeGreaterThanOrEqual(2);
    expect(total).toBeLessThanOrEqual(4);
  });

  it('when every credential is refused, the upstream answer is passed back', async () => {
    upstream.status.set(KEY_A, 401);
    upstream.status.set(KEY_B, 401);
    expect(await chat()).toBe('failed 401');
    expect((await credentials()).map((c) => c.health)).toEqual(['failing', 'failing']);
  });

  it('keywarden providers rotate adds the new credential and retires the old ones under traffic without a failure', async () => {
    const results: string[] = [];
    let rotating = true;
    const traffic = Array.from({ length: 3 }, async () => {
      while (rotating || results.length < 30) results.push(await chat());
    });
    const run = await cli(
      ['providers', 'rotate', 'llm', '--api-key-env', 'NEW_KEY', '--json', '--url', gw.url],
      {
        env: { KEYWARDEN_ADMIN_TOKEN: gw.adminToken, NEW_KEY: KEY_C },
        realFetch: true,
      },
    );
    rotating = false;
    await Promise.all(traffic);
    expect(run.code, run.stderr).toBe(0);
    expect(results.filter((r) => r !== 'ok')).toEqual([]);
    const after = await credentials();
    expect(after.map((c) => c.status)).toEqual(['retired', 'retired', 'active']);
    upstream.hits.clear();
    expect(await chat()).toBe('ok');
    expect([...upstream.hits.keys()]).toEqual([KEY_C]);
    expect(run.stdout).not.toContain(KEY_C);
  });
});
