import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Every admin endpoint × every role × own / other project. A project-admin token manages `web`
 * only: whatever belongs to `ops` answers exactly as if it did not exist. Nobody mints a token
 * stronger than their own or widens their own projects.
 */
type Role = 'owner' | 'admin' | 'project-admin' | 'viewer';
const ROLES: Role[] = ['owner', 'admin', 'project-admin', 'viewer'];
type Scope = 'own' | 'other';

interface Case {
  name: string;
  method: string;
  /** Builds the path (and may set up a fresh record as the owner) for a project: `web` or `ops`. */
  path: (project: Project) => Promise<string> | string;
  body?: (project: Project) => unknown;
  /** A status per role; a pair is [own project, other project]. */
  expect: Record<Role, number | readonly [number, number]>;
}

interface Project {
  name: string;
  keyId: string;
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${++seq}`;

describe('admin API roles matrix', () => {
  let gw: TestGateway;
  let clock: ManualClock;
  const tokens = {} as Record<Role, string>;
  const projects = {} as Record<Scope, Project>;
  let providerId: string;

  const owner = async (method: string, path: string, body?: unknown) => {
    const res = await gw.admin(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const freshKey = async (project: Project) =>
    (await owner('POST', '/admin/v1/keys', { name: unique('k'), project: project.name })).id as string;
  /** A key of `project` reported leaked by the owner: its hash (to report again) and the alert it raised. */
  const freshLeak = async (project: Project) => {
    const created = await owner('POST', '/admin/v1/keys', { name: unique('k'), project: project.name });
    const tokenHash = createHash('sha256')
      .update(created.key as string)
      .digest('hex');
    await owner('POST', '/admin/v1/leaks', { source: 'matrix', reports: [{ token_hash: tokenHash }] });
    const alerts = await owner('GET', `/admin/v1/alerts?status=all&key=${created.id}`);
    return { tokenHash, alertId: alerts.data[0].id as string };
  };
  const freshProvider = async () =>
    (
      await owner('POST', '/admin/v1/providers', {
        name: unique('p'),
        type: 'openai-compatible',
        base_url: 'http://127.0.0.1:9',
        api_key: 'sk-matrix-provider-1',
      })
    ).id as string;

  beforeAll(async () => {
    clock = manualClock();
    gw = await startGateway({ clock });
    tokens.owner = gw.adminToken;
    for (const [scope, name] of [
      ['own', 'web'],
      ['other', 'ops'],
    ] as const) {
      await owner('POST', '/admin/v1/projects', { name });
      projects[scope] = { name, keyId: '' };
      projects[scope].keyId = await freshKey(projects[scope]);
    }
    providerId = await freshProvider();
    for (const role of ['admin', 'project-admin', 'viewer'] as const) {
      const body = { name: role, role, ...(role === 'project-admin' && { projects: ['web'] }) };
      tokens[role] = (await owner('POST', '/admin/v1/admin-tokens', body)).token;
    }
  });

  afterAll(async () => {
    await gw.stop();
  });

  const scoped = (status: number | readonly [number, number], scope: Scope) =>
    Array.isArray(status) ? status[scope === 'own' ? 0 : 1] : status;

  const READ = { owner: 200, admin: 200, 'project-admin': 200, viewer: 200 } as const;
  const ALL_200 = { owner: 200, admin: 200, 'project-admin': [200, 404], viewer: 200 } as const;
  const WRITE = { owner: 200, admin: 200, 'project-admin': [200, 404], viewer: 403 } as const;
  const gatewayAdminOnly = (ok: number) => ({ owner: ok, admin: ok, 'project-admin': 403, viewer: 403 });

  const cases: Case[] = [
    { name: 'GET /projects', method: 'GET', path: () => '/admin/v1/projects', expect: READ },
    {
      name: 'POST /projects',
      method: 'POST',
      path: () => '/admin/v1/projects',
      body: () => ({ name: unique('proj') }),
      expect: gatewayAdminOnly(201),
    },
    {
      name: 'GET /projects/{id}',
      method: 'GET',
      path: (p) => `/admin/v1/projects/${p.name}`,
      expect: ALL_200,
    },
    {
      name: 'PATCH /projects/{id}',
      method: 'PATCH',
      path: (p) => `/admin/v1/projects/${p.name}`,
      body: () => ({ limits: { rpm: 50 } }),
      expect: WRITE,
    },
    { name: 'GET /keys', method: 'GET', path: (p) => `/admin/v1/keys?project=${p.name}`, expect: ALL_200 },
    {
      name: 'POST /keys',
      method: 'POST',
      path: () => '/admin/v1/keys',
      body: (p) => ({ name: unique('key'), project: p.name }),
      // Another project's name is refused exactly like a project that does not exist.
      expect: { owner: 201, admin: 201, 'project-admin': [201, 400], viewer: 403 },
    },
    { name: 'GET /keys/{id}', method: 'GET', path: (p) => `/admin/v1/keys/${p.keyId}`, expect: ALL_200 },
    {
      name: 'PATCH /keys/{id}',
      method: 'PATCH',
      path: (p) => `/admin/v1/keys/${p.keyId}`,
      body: () => ({ limits: { rpm: 7 }, scopes: { models: ['gpt-4o*'] } }),
      expect: WRITE,
    },
    ...(['suspend', 'resume', 'revoke'] as const).map(
      (action): Case => ({
        name: `POST /keys/{id}/${action}`,
        method: 'POST',
        path: async (p) => `/admin/v1/keys/${await freshKey(p)}/${action}`,
        expect: WRITE,
      }),
    ),
    {
      name: 'POST /keys/{id}/rotate',
      method: 'POST',
      path: async (p) => `/admin/v1/keys/${await freshKey(p)}/rotate`,
      body: () => ({ grace_seconds: 0 }),
      expect: WRITE,
    },
    {
      name: 'POST /providers/{id}/refresh',
      method: 'POST',
      path: () => `/admin/v1/providers/${providerId}/refresh`,
      expect: gatewayAdminOnly(200),
    },
    {
      name: 'GET /usage',
      method: 'GET',
      path: (p) => `/admin/v1/usage?project=${p.name}`,
      expect: { owner: 200, admin: 200, 'project-admin': [200, 400], viewer: 200 },
    },
    { name: 'GET /providers', method: 'GET', path: () => '/admin/v1/providers', expect: READ },
    {
      name: 'GET /providers/{id}',
      method: 'GET',
      path: () => `/admin/v1/providers/${providerId}`,
      expect: READ,
    },
    {
      name: 'POST /providers',
      method: 'POST',
      path: () => '/admin/v1/providers',
      body: () => ({ name: unique('prov'), type: 'openai-compatible', base_url: 'http://127.0.0.1:9' }),
      expect: gatewayAdminOnly(201),
    },
    {
      name: 'DELETE /providers/{id}',
      method: 'DELETE',
      path: async () => `/admin/v1/providers/${await freshProvider()}`,
      expect: gatewayAdminOnly(200),
    },
    {
      name: 'POST /providers/{id}/credentials',
      method: 'POST',
      path: () => `/admin/v1/providers/${providerId}/credentials`,
      body: () => ({ api_key: 'sk-matrix-provider-2' }),
      expect: gatewayAdminOnly(201),
    },
    {
      name: 'DELETE /providers/{id}/credentials/{credentialId}',
      method: 'DELETE',
      path: async () => {
        const id = await freshProvider();
        const provider = await owner('POST', `/admin/v1/providers/${id}/credentials`, {
          api_key: 'sk-matrix-3',
        });
        return `/admin/v1/providers/${id}/credentials/${provider.credentials[0].id}`;
      },
      expect: gatewayAdminOnly(200),
    },
    {
      name: 'GET /admin-tokens',
      method: 'GET',
      path: () => '/admin/v1/admin-tokens',
      expect: gatewayAdminOnly(200),
    },
    {
      name: 'POST /admin-tokens (viewer)',
      method: 'POST',
      path: () => '/admin/v1/admin-tokens',
      body: () => ({ name: unique('t'), role: 'viewer' }),
      expect: gatewayAdminOnly(201),
    },
    {
      name: 'POST /admin-tokens (owner): only an owner mints an owner',
      method: 'POST',
      path: () => '/admin/v1/admin-tokens',
      body: () => ({ name: unique('t'), role: 'owner' }),
      expect: { owner: 201, admin: 403, 'project-admin': 403, viewer: 403 },
    },
    {
      name: 'POST /admin-tokens (project-admin): nobody below admin widens a project list',
      method: 'POST',
      path: () => '/admin/v1/admin-tokens',
      body: (p) => ({ name: unique('t'), role: 'project-admin', projects: ['web', p.name] }),
      expect: gatewayAdminOnly(201),
    },
    {
      name: 'POST /admin-tokens/{id}/revoke',
      method: 'POST',
      path: async () => {
        const created = await owner('POST', '/admin/v1/admin-tokens', { name: unique('t'), role: 'viewer' });
        return `/admin/v1/admin-tokens/${created.id}/revoke`;
      },
      expect: gatewayAdminOnly(200),
    },
    {
      name: 'POST /admin-tokens/{owner}/revoke: only an owner revokes an owner',
      method: 'POST',
      path: async () => {
        const created = await owner('POST', '/admin/v1/admin-tokens', { name: unique('t'), role: 'owner' });
        return `/admin/v1/admin-tokens/${created.id}/revoke`;
      },
      expect: { owner: 200, admin: 403, 'project-admin': 403, viewer: 403 },
    },
    {
      name: 'GET /usage/events',
      method: 'GET',
      path: (p) => `/admin/v1/usage/events?project=${p.name}`,
      expect: { owner: 200, admin: 200, 'project-admin': [200, 400], viewer: 200 },
    },
    {
      name: 'GET /alerts',
      method: 'GET',
      path: (p) => `/admin/v1/alerts?status=all&project=${p.name}`,
      expect: { owner: 200, admin: 200, 'project-admin': [200, 400], viewer: 200 },
    },
    {
      name: 'GET /alerts/{id}',
      method: 'GET',
      path: async (p) => `/admin/v1/alerts/${(await freshLeak(p)).alertId}`,
      expect: ALL_200,
    },
    {
      name: 'POST /alerts/{id}/ack',
      method: 'POST',
      path: async (p) => `/admin/v1/alerts/${(await freshLeak(p)).alertId}/ack`,
      expect: WRITE,
    },
    {
      // Possession of a secret is the authority to burn it: any token that may write can report a
      // leak (as GitHub's unauthenticated partner reports can); only read-only tokens cannot.
      name: 'POST /leaks',
      method: 'POST',
      path: () => '/admin/v1/leaks',
      body: () => ({ source: 'matrix', reports: [{ token_hash: '0'.repeat(64) }] }),
      expect: { owner: 200, admin: 200, 'project-admin': 200, viewer: 403 },
    },
    { name: 'GET /audit', method: 'GET', path: (p) => `/admin/v1/audit?project=${p.name}`, expect: ALL_200 },
    {
      name: 'GET /audit/verify',
      method: 'GET',
      path: () => '/admin/v1/audit/verify',
      expect: { owner: 200, admin: 200, 'project-admin': 403, viewer: 200 },
    },
    {
      name: 'GET /doctor',
      method: 'GET',
      path: (p) => `/admin/v1/doctor?project=${p.name}`,
      expect: ALL_200,
    },
  ];

  for (const c of cases) {
    describe(c.name, () => {
      for (const role of ROLES) {
        for (const scope of ['own', 'other'] as const) {
          const status = scoped(c.expect[role], scope);
          it(`${role}, ${scope} project → ${status}`, async () => {
            const project = projects[scope];
            const res = await gw.admin(c.method, await c.path(project), c.body?.(project), tokens[role]);
            expect(res.status, JSON.stringify(res.body)).toBe(status);
            if (status === 404) expect(res.body.error.code).toBe('not_found');
          });
        }
      }
    });
  }

  it('covers every route of the OpenAPI document', async () => {
    const doc = (await gw.admin('GET', '/admin/v1/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map(
        (m) => `${m.toUpperCase()} ${path.replace('/admin/v1', '').replace(/\{[^}]+\}/g, '{}')}`,
      ),
    );
    const tested = new Set(
      cases.map((c) => `${c.method} ${c.name.split(' ')[1]?.replace(/\{[^}]+\}/g, '{}')}`),
    );
    expect(documented.filter((route) => !tested.has(route))).toEqual([]);
  });

  it('lists only what a project-admin may see', async () => {
    const pa = tokens['project-admin'];
    const projectNames = (await gw.admin('GET', '/admin/v1/projects', undefined, pa)).body.data.map(
      (p: { name: string }) => p.name,
    );
    expect(projectNames).toEqual(['web']);
    const keys = (await gw.admin('GET', '/admin/v1/keys', undefined, pa)).body.data;
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k: { project: string }) => k.project === 'web')).toBe(true);
    const audit = (await gw.admin('GET', '/admin/v1/audit?limit=1000', undefined, pa)).body.data;
    expect(audit.length).toBeGreaterThan(0);
    const web = projects.own;
    expect(audit.every((e: { project_id: string | null }) => e.project_id !== null)).toBe(true);
    expect(audit.some((e: { target: { id: string } | null }) => e.target?.id === web.keyId)).toBe(true);
    expect(audit.some((e: { target: { id: string } | null }) => e.target?.id === projects.other.keyId)).toBe(
      false,
    );
  });

  it('refuses revoked and expired tokens on every route with 401', async () => {
    const revoked = await owner('POST', '/admin/v1/admin-tokens', { name: unique('t'), role: 'admin' });
    await owner('POST', `/admin/v1/admin-tokens/${revoked.id}/revoke`);
    const expiring = await owner('POST', '/admin/v1/admin-tokens', {
      name: unique('t'),
      role: 'admin',
      expires_at: new Date(clock.now() + 60_000).toISOString(),
    });
    clock.advance(120_000);
    for (const token of [revoked.token, expiring.token, 'kwa_made_up', '']) {
      for (const c of cases) {
        clock.advance(600_000); // stay under the failed-sign-in budget: this test is about 401, not 429
        const res = await gw.admin(c.method, await c.path(projects.own), c.body?.(projects.own), token);
        expect(res.status, `${c.name} with ${token}`).toBe(401);
      }
    }
  });
});
