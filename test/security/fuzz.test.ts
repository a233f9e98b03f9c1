import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ANTHROPIC_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { addOpenAiProvider, startGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Property-based attacks on every admin route and the proxy routes: malformed, huge, deeply
 * nested, non-UTF-8 and type-confused inputs. Never a 500, never a crash, always an error in the
 * caller's shape, and nothing stored by a refused request.
 */
const FIELDS = [
  'name',
  'type',
  'role',
  'project',
  'projects',
  'limits',
  'scopes',
  'api_key',
  'secret_ref',
  'base_url',
  'expires_at',
  'ip_allow',
  'default_provider',
  'budgets',
  'rpm',
  'models',
  '__proto__',
  'constructor',
  'prototype',
];

const bodies = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
    .map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 256 }),
  fc.integer({ min: 30, max: 20_000 }).map((depth) => `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.constantFrom(
    '',
    '{',
    '{"name":',
    'null',
    '[]',
    '"x"',
    '1e999',
    '{"__proto__":{"admin":true}}',
    '\u0000',
  ),
);

const segments = fc.oneof(
  fc.constantFrom('..', '%2e%2e', '%ff%fe', 'key_x', 'web', "'; drop table keys; --", '%00', 'a'.repeat(300)),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

const ADMIN_ROUTES: Array<[string, string]> = [
  ['POST', '/admin/v1/providers'],
  ['GET', '/admin/v1/providers'],
  ['GET', '/admin/v1/providers/{}'],
  ['DELETE', '/admin/v1/providers/{}'],
  ['POST', '/admin/v1/providers/{}/credentials'],
  ['DELETE', '/admin/v1/providers/{}/credentials/{}'],
  ['POST', '/admin/v1/projects'],
  ['GET', '/admin/v1/projects/{}'],
  ['PATCH', '/admin/v1/projects/{}'],
  ['POST', '/admin/v1/keys'],
  ['GET', '/admin/v1/keys?project={}'],
  ['GET', '/admin/v1/keys/{}'],
  ['PATCH', '/admin/v1/keys/{}'],
  ['POST', '/admin/v1/keys/{}/revoke'],
  ['POST', '/admin/v1/keys/{}/suspend'],
  ['GET', '/admin/v1/usage?group_by={}&from={}'],
  ['POST', '/admin/v1/admin-tokens'],
  ['POST', '/admin/v1/admin-tokens/{}/revoke'],
  ['GET', '/admin/v1/audit?limit={}&after={}&from={}'],
  ['GET', '/admin/v1/doctor?project={}'],
];

const CONTENT_TYPES = fc.constantFrom(
  'application/json',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  undefined,
);

describe('fuzzing every route', () => {
  let gw: TestGateway;
  let fake: FakeUpstream;
  let key: string;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway();
    await addOpenAiProvider(gw, fake.url);
    await gw.admin('POST', '/admin/v1/providers', {
      name: 'anthropic',
      type: 'anthropic',
      base_url: fake.url,
      api_key: DEFAULT_ANTHROPIC_KEY,
    });
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    key = (
      await gw.admin('POST', '/admin/v1/keys', { name: 'app', project: 'web', default_provider: 'openai' })
    ).body.key;
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  /** Everything the admin API can show of the stored state. */
  const snapshot = async () => {
    const parts = await Promise.all(
      ['/admin/v1/providers', '/admin/v1/projects', '/admin/v1/keys', '/admin/v1/admin-tokens'].map((p) =>
        gw.admin('GET', p),
      ),
    );
    return JSON.stringify(parts.map((p) => p.body));
  };

  const send = async (
    method: string,
    path: string,
    body: string | Buffer | undefined,
    contentType: string | undefined,
    auth: string,
  ) => {
    const headers: Record<string, string> = { authorization: auth };
    if (contentType) headers['content-type'] = contentType;
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers,
      ...(method !== 'GET' && body !== undefined && { body }),
    });
    const text = await res.text();
    return { status: res.status, text };
  };

  it('admin routes: never 500, always an admin error envelope, nothing stored when refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ADMIN_ROUTES),
        fc.array(segments, { minLength: 3, maxLength: 3 }),
        bodies,
        CONTENT_TYPES,
        async ([method, template], parts, body, contentType) => {
          let i = 0;
          const path = template.replace(/\{\}/g, () => parts[i++] ?? '');
          const before = await snapshot();
          const res = await send(method, path, body, contentType, `Bearer ${gw.adminToken}`);
          expect(res.status, `${method} ${path} → ${res.text}`).toBeLessThan(500);
          if (res.status >= 400) {
            const parsed = JSON.parse(res.text);
            expect(typeof parsed.error.code).toBe('string');
            expect(typeof parsed.error.message).toBe('string');
            expect(await snapshot()).toBe(before);
          }
        },
      ),
      { numRuns: 100 },
    );
  }, 180_000);

  it('proxy routes: never 500, always the provider’s error shape, never a crash', async () => {
    const routes = fc.constantFrom(
      '/v1/chat/completions',
      '/v1/embeddings',
      '/v1/responses',
      '/v1/models',
      '/openai/v1/chat/completions',
      '/anthropic/v1/messages',
      '/anthropic/v1/messages/count_tokens',
    );
    const credentials = fc.oneof(
      fc.constant(`Bearer ${key}`),
      fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
      fc.constant('Bearer kw_'),
    );
    await fc.assert(
      fc.asyncProperty(
        routes,
        segments,
        bodies,
        CONTENT_TYPES,
        credentials,
        async (route, extra, body, contentType, auth) => {
          const path = Math.random() < 0.2 ? `${route}/${extra}` : route;
          let res: { status: number; text: string };
          const forwardedBefore = fake.requests.length;
          try {
            res = await send('POST', path, body, contentType, auth);
          } catch (error) {
            // Headers fetch itself refuses to send are not a request to us.
            if (error instanceof TypeError) return;
            throw error;
          }
          expect(res.status, `${path} → ${res.text}`).toBeLessThan(500);
          // What the provider answered passes through unchanged; only our own refusals are checked here.
          if (res.status >= 400 && fake.requests.length === forwardedBefore) {
            const parsed = JSON.parse(res.text);
            if (path.startsWith('/anthropic'))
              expect(parsed).toMatchObject({ type: 'error', error: { type: expect.any(String) } });
            else expect(typeof parsed.error.message).toBe('string');
          }
        },
      ),
      { numRuns: 300 },
    );
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  }, 180_000);

  it('huge bodies are refused whole, in the caller’s shape', async () => {
    const huge = Buffer.alloc(40 * 1024 * 1024, 0x61);
    const proxy = await send('POST', '/anthropic/v1/messages', huge, 'application/json', `Bearer ${key}`);
    expect(proxy.status).toBe(413);
    expect(JSON.parse(proxy.text)).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    const admin = await send('POST', '/admin/v1/keys', huge, 'application/json', `Bearer ${gw.adminToken}`);
    expect(admin.status).toBe(413);
  });
});
