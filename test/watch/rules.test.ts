import { afterEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/domain/usage.js';
import { manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const T0 = Date.UTC(2026, 3, 1, 10);

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function setup() {
  const clock = manualClock(T0);
  gw = await startGateway({ clock });
  await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
  const key = (await gw.admin('POST', '/admin/v1/keys', { name: 'bot', project: 'web' })).body;
  let n = 0;
  const event = (over: Partial<UsageEvent>): UsageEvent => ({
    id: `req_${++n}`,
    ts: T0,
    requestId: `rid_${n}`,
    keyId: key.id,
    projectId: key.project_id,
    providerId: 'prv_x',
    providerName: 'openai',
    model: 'gpt-4o-mini',
    endpoint: 'chat/completions',
    status: 200,
    inputTokens: 10,
    outputTokens: 5,
    cachedTokens: 0,
    costNanoUsd: 1_000,
    latencyMs: 100,
    ttfbMs: 50,
    clientIp: '10.0.0.7',
    streamed: false,
    ...over,
  });
  const g = gw;
  const alerts = async (type: string) => (await g.admin('GET', `/admin/v1/alerts?type=${type}`)).body.data;
  return { g, key, event, alerts };
}

describe('watch rules', () => {
  it('alerts once when a key spends over the default $50 within 10 minutes', async () => {
    const { g, event, alerts } = await setup();
    for (let i = 0; i < 6; i++) {
      await g.keywarden.watch.watcher.observe(event({ ts: T0 + i * 60_000, costNanoUsd: 10e9 }));
    }
    const raised = await alerts('spend_rule');
    expect(raised).toHaveLength(1);
    expect(raised[0].details).toMatchObject({ rule_usd: 50, rule_minutes: 10 });
  });

  it('alerts on a new network and a new model, but not on the first ones a key uses', async () => {
    const { g, event, alerts } = await setup();
    await g.keywarden.watch.watcher.observe(event({}));
    await g.keywarden.watch.watcher.observe(event({ clientIp: '10.0.0.99' }));
    expect(await alerts('new_ip')).toEqual([]);
    expect(await alerts('new_model')).toEqual([]);
    await g.keywarden.watch.watcher.observe(event({ clientIp: '203.0.113.5', model: 'gpt-4o' }));
    expect((await alerts('new_ip'))[0].details.network).toBe('203.0.113.0/24');
    expect((await alerts('new_model'))[0].details.model).toBe('gpt-4o');
  });

  it('alerts on a burst of bad-key refusals for one key prefix', async () => {
    const { g, alerts } = await setup();
    for (let i = 0; i < 19; i++)
      await g.keywarden.watch.watcher.observeRefusal('invalid_api_key', 'kw_AbCdEf', T0 + i);
    expect(await alerts('auth_failure_spike')).toEqual([]);
    await g.keywarden.watch.watcher.observeRefusal('invalid_api_key', 'kw_AbCdEf', T0 + 30);
    const raised = await alerts('auth_failure_spike');
    expect(raised).toHaveLength(1);
    expect(raised[0].details).toMatchObject({ key_prefix: 'kw_AbCdEf', count: 20 });
  });

  it('alerts when the provider refuses the stored credential', async () => {
    const { g, event, alerts } = await setup();
    await g.keywarden.watch.watcher.observe(event({ status: 401 }));
    expect((await alerts('credential_failing'))[0].details.provider).toBe('openai');
  });
});
