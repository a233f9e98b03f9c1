import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { manualClock } from '../fakes/manual-clock.js';
import { addOpenAiProvider, startGateway, type TestGateway } from '../helpers/gateway.js';

/** Security events from the data plane and the leak defences reach the audit trail and the alerts. */
describe('security events become audit entries and alerts', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  const clock = manualClock();

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway({ clock });
    await addOpenAiProvider(gw, fake.url);
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  const alerts = async (type: string) =>
    (await gw.admin('GET', `/admin/v1/alerts?status=all&type=${type}`)).body.data as Array<
      Record<string, unknown>
    >;

  it('a leaked key is revoked, audited as key.leak_revoked and alerted as leak_detected', async () => {
    const key = (await gw.admin('POST', '/admin/v1/keys', { name: 'leaky', project: 'web' })).body;
    const reported = await gw.admin('POST', '/admin/v1/leaks', {
      source: 'keywarden scan',
      reports: [
        { token_hash: createHash('sha256').update(key.key).digest('hex'), location: 'src/app.ts:12' },
      ],
    });
    expect(reported.status).toBe(200);

    const audit = (await gw.admin('GET', '/admin/v1/audit?action=key.leak_revoked')).body.data;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'key.leak_revoked', target: { type: 'key', id: key.id } });
    const [alert] = await alerts('leak_detected');
    expect(alert).toMatchObject({ type: 'leak_detected', key_id: key.id });
    expect(String(alert?.message)).toContain('src/app.ts:12');
    expect(JSON.stringify({ audit, alert })).not.toContain(key.key);
  });

  it('a budget crossing its alert thresholds raises budget_threshold alerts', async () => {
    const key = (
      await gw.admin('POST', '/admin/v1/keys', {
        name: 'spender',
        project: 'web',
        default_provider: 'openai',
        limits: { budgets: [{ usd: 0.000001, period: 'day', soft: true }] },
      })
    ).body;
    const client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
    });
    let raised: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 50 && raised.length === 0; i++) {
      raised = (await alerts('budget_threshold')).filter((a) => a.key_id === key.id);
      if (raised.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(raised.length).toBeGreaterThan(0);
    expect(raised[0]).toMatchObject({ severity: 'critical' });
  });

  it('a key past its rotation policy raises one rotation_due alert', async () => {
    const key = (
      await gw.admin('POST', '/admin/v1/keys', {
        name: 'stale',
        project: 'web',
        rotation_policy: { max_age_seconds: 3600 },
      })
    ).body;
    await gw.keywarden.autoRotation.runOnce();
    expect((await alerts('rotation_due')).filter((a) => a.key_id === key.id)).toHaveLength(0);
    clock.advance(2 * 3_600_000);
    await gw.keywarden.autoRotation.runOnce();
    await gw.keywarden.autoRotation.runOnce();
    let raised: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 50 && raised.length === 0; i++) {
      raised = (await alerts('rotation_due')).filter((a) => a.key_id === key.id);
      if (raised.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(raised).toHaveLength(1);
  });
});
