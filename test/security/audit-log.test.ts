import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/cli-harness.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/** Admin actions land in the hash-chained trail, and a hand-edited trail is caught and located. */
describe('audit log', () => {
  let gw: TestGateway;
  let keyId: string;
  let keySecret: string;
  let viewerToken: string;

  beforeAll(async () => {
    gw = await startGateway();
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    await gw.admin('POST', '/admin/v1/providers', {
      name: 'local',
      type: 'openai-compatible',
      base_url: 'http://127.0.0.1:9',
      api_key: 'sk-audit-provider-secret-1234',
    });
    const key = await gw.admin('POST', '/admin/v1/keys', { name: 'bot', project: 'web' });
    keyId = key.body.id;
    keySecret = key.body.key;
    await gw.admin('PATCH', `/admin/v1/keys/${keyId}`, {
      limits: { rpm: 10 },
      scopes: { models: ['gpt-4o*'] },
    });
    await gw.admin('POST', `/admin/v1/keys/${keyId}/suspend`);
    await gw.admin('POST', `/admin/v1/keys/${keyId}/revoke`);
    viewerToken = (await gw.admin('POST', '/admin/v1/admin-tokens', { name: 'ro', role: 'viewer' })).body
      .token;
    await gw.admin('GET', '/admin/v1/keys', undefined, 'kwa_not_even_a_token');
  });

  afterAll(async () => {
    await gw.stop();
  });

  it('records each admin action with actor, target, request id and the change', async () => {
    const { body } = await gw.admin('GET', '/admin/v1/audit?limit=1000');
    const actions = body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'admin_token.created',
        'project.created',
        'provider.created',
        'key.created',
        'key.updated',
        'key.suspended',
        'key.revoked',
        'auth.sign_in',
        'auth.failed',
      ]),
    );
    const updated = body.data.find((e: { action: string }) => e.action === 'key.updated');
    expect(updated).toMatchObject({
      actor: { type: 'admin_token', role: 'owner' },
      target: { type: 'key', id: keyId },
      request_id: expect.stringMatching(/^req_/),
      client_ip: '127.0.0.1',
      change: { limits: { from: {}, to: { rpm: 10 } }, scopes: { from: {}, to: { models: ['gpt-4o*'] } } },
    });
    const failed = body.data.find((e: { action: string }) => e.action === 'auth.failed');
    expect(failed).toMatchObject({ actor: { type: 'anonymous' }, change: { reason: 'malformed' } });
  });

  it('filters by action, target and project', async () => {
    const byTarget = await gw.admin('GET', `/admin/v1/audit?target=${keyId}`);
    expect(byTarget.body.data.every((e: { target: { id: string } }) => e.target.id === keyId)).toBe(true);
    expect(byTarget.body.data.length).toBe(4);
    const revoked = await gw.admin('GET', '/admin/v1/audit?action=key.revoked');
    expect(revoked.body.data).toHaveLength(1);
    const paged = await gw.admin('GET', '/admin/v1/audit?limit=2');
    expect(paged.body.next_cursor).toBe('2');
    const next = await gw.admin('GET', `/admin/v1/audit?limit=2&after=${paged.body.next_cursor}`);
    expect(next.body.data[0].seq).toBe(3);
    const bad = await gw.admin('GET', '/admin/v1/audit?from=yesterday');
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'from' } } });
  });

  it('never holds a secret', async () => {
    const lines: string[] = [];
    const run = await cli(['audit', 'export', '--url', gw.url], {
      realFetch: true,
      env: { KEYWARDEN_ADMIN_TOKEN: viewerToken },
    });
    expect(run.code).toBe(0);
    lines.push(...run.stdout.trim().split('\n'));
    expect(lines.length).toBeGreaterThan(8);
    const text = run.stdout;
    for (const secret of [keySecret, gw.adminToken, viewerToken, 'sk-audit-provider-secret-1234']) {
      expect(text).not.toContain(secret);
    }
  });

  it('verifies an untouched chain', async () => {
    const run = await cli(['audit', 'verify', '--url', gw.url], {
      realFetch: true,
      env: { KEYWARDEN_ADMIN_TOKEN: gw.adminToken },
    });
    expect(run.stdout).toMatch(/audit log intact: \d+ entries/);
    expect(run.code).toBe(0);
  });

  describe('edited by hand', () => {
    const tamper = (sql: string) => {
      const db = new BetterSqlite3(join(gw.dataDir, 'keywarden.db'));
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    };
    const verify = async () => (await gw.admin('GET', '/admin/v1/audit/verify')).body;

    it('names an edited entry, and the CLI exits 1', async () => {
      tamper(`update audit_log set change = '{"status":{"from":"active","to":"active"}}' where seq = 5`);
      const result = await verify();
      expect(result.ok).toBe(false);
      expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'edited', seq: 5 }));
      const run = await cli(['audit', 'verify', '--url', gw.url], {
        realFetch: true,
        env: { KEYWARDEN_ADMIN_TOKEN: gw.adminToken },
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('entry 5');
    });

    it('names a deleted entry', async () => {
      tamper('delete from audit_log where seq = 3');
      const result = await verify();
      expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'missing', seq: 4 }));
    });

    it('names reordered entries', async () => {
      tamper(
        'update audit_log set seq = -7 where seq = 7; update audit_log set seq = 7 where seq = 8; update audit_log set seq = 8 where seq = -7',
      );
      const kinds = (await verify()).problems.map((p: { kind: string }) => p.kind);
      expect(kinds).toContain('reordered');
    });

    it('notices a cut-off end', async () => {
      tamper('delete from audit_log where seq = (select max(seq) from audit_log)');
      const kinds = (await verify()).problems.map((p: { kind: string }) => p.kind);
      expect(kinds).toContain('truncated');
    });
  });
});
