import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/cli-harness.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { addOpenAiProvider, startGateway, type TestGateway } from '../helpers/gateway.js';

const DAY = 86_400_000;

describe('keywarden doctor', () => {
  let gw: TestGateway;
  let fake: FakeUpstream;
  let clock: ManualClock;
  const ids: Record<string, string> = {};
  let tidyKey = '';

  beforeAll(async () => {
    fake = await startFakeUpstream();
    clock = manualClock();
    gw = await startGateway({ clock });
    await addOpenAiProvider(gw, fake.url);
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    const create = async (name: string, extra: Record<string, unknown> = {}) => {
      const key = (
        await gw.admin('POST', '/admin/v1/keys', {
          name,
          project: 'web',
          default_provider: 'openai',
          ...extra,
        })
      ).body;
      ids[name] = key.id;
      return key;
    };
    await create('stale');
    clock.advance(31 * DAY);
    const tidy = await create('tidy', {
      expires_at: new Date(clock.now() + 30 * DAY).toISOString(),
      limits: { budgets: [{ usd: 5, period: 'day' }] },
      scopes: { models: ['gpt-4o-mini'], endpoints: ['chat/completions'], providers: ['openai'] },
    });
    tidyKey = tidy.key;
    const wide = await create('wide', { limits: { budgets: [{ usd: 50, period: 'month', soft: true }] } });
    for (const key of [wide.key, tidy.key]) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
    }
    await gw.flushUsage();
    writeFileSync(
      join(gw.dataDir, 'keywarden.yaml'),
      `log_level: info\nproviders:\n  - api_key: sk-live-inline-abcdefghijklmnop\n`,
    );
    chmodSync(join(gw.dataDir, 'master.key'), 0o644);
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  const report = async () => (await gw.admin('GET', '/admin/v1/doctor')).body;
  const checksFor = (body: { findings: { check: string; target: { id: string } }[] }, id: string) =>
    body.findings
      .filter((f) => f.target.id === id)
      .map((f) => f.check)
      .sort();

  it('flags keys without a hard budget or expiry, and unused keys', async () => {
    const body = await report();
    expect(checksFor(body, ids.stale as string)).toEqual([
      'key_unused',
      'key_without_expiry',
      'key_without_hard_budget',
    ]);
    expect(checksFor(body, ids.tidy as string)).toEqual([]);
  });

  it('offers the narrower scope a key actually used', async () => {
    const wide = (await report()).findings.find(
      (f: { check: string; target: { id: string } }) =>
        f.check === 'scope_wider_than_use' && f.target.id === ids.wide,
    );
    expect(wide.suggested_scopes).toEqual({
      models: ['gpt-4o-mini'],
      endpoints: ['chat/completions'],
      providers: ['openai'],
    });
    expect(wide.fix).toContain(`PATCH /admin/v1/keys/${ids.wide}`);
  });

  it('reports inline config secrets, master key permissions and admin tokens without expiry', async () => {
    const body = await report();
    const checks = body.findings.map((f: { check: string }) => f.check);
    expect(checks).toEqual(
      expect.arrayContaining([
        'inline_secret_in_config',
        'master_key_permissions',
        'admin_token_without_expiry',
      ]),
    );
    expect(JSON.stringify(body)).not.toContain('sk-live-inline');
    expect(body.score).toBeGreaterThanOrEqual(0);
    expect(body.score).toBeLessThan(100);
  });

  it('is a thin CLI over the API: text, JSON and --fail-under', async () => {
    const env = { KEYWARDEN_ADMIN_TOKEN: gw.adminToken };
    const text = await cli(['doctor', '--url', gw.url], { realFetch: true, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/posture score: \d+\/100/);
    expect(text.stdout).toContain('fix: chmod 600');
    const json = await cli(['doctor', '--url', gw.url, '--json'], { realFetch: true, env });
    expect(JSON.parse(json.stdout).score).toBe((await report()).score);
    const strict = await cli(['doctor', '--url', gw.url, '--fail-under', '100'], { realFetch: true, env });
    expect(strict.code).toBe(1);
    expect(tidyKey).toMatch(/^kw_/);
  });
});
