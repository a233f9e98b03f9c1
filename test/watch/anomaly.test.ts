import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway, tempDataDir } from '../helpers/gateway.js';
import { steadyTraffic, type TraceShape } from './synthetic-traffic.js';

const MINUTE = 60_000;
const START = Date.UTC(2026, 2, 2, 0, 0);

/** Low floors, so the baselines (not the floors) decide on every minute of these small traces. */
function watchYaml(onAnomaly: 'alert' | 'auto_suspend'): string {
  return [
    'watch:',
    `  on_anomaly: ${onAnomaly}`,
    '  floors: { requests: 5, tokens: 5000, cost_usd: 0.01, errors: 5 }',
    '  spend_rules: []',
    '',
  ].join('\n');
}

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function gatewayWithKey(onAnomaly: 'alert' | 'auto_suspend', clock: ManualClock) {
  const dataDir = tempDataDir();
  writeFileSync(join(dataDir, 'keywarden.yaml'), watchYaml(onAnomaly));
  gw = await startGateway({ dataDir, clock });
  const project = await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
  const key = await gw.admin('POST', '/admin/v1/keys', { name: 'checkout-bot', project: 'web' });
  expect(key.status).toBe(201);
  return { gw, keyId: key.body.id as string, projectId: project.body.id as string };
}

/** Feeds the trace to the live watcher in time order, moving the gateway's clock along with it. */
async function replay(g: TestGateway, clock: ManualClock, shape: TraceShape) {
  let events = 0;
  for (const event of steadyTraffic(shape)) {
    clock.set(event.ts);
    await g.keywarden.watch.watcher.observe(event);
    events += 1;
  }
  await g.keywarden.watch.idle();
  return events;
}

describe('anomaly detection on synthetic traffic', () => {
  it('raises no alert over a day of steady traffic with normal daily variation', async () => {
    const clock = manualClock(START);
    const { gw: g, keyId, projectId } = await gatewayWithKey('alert', clock);
    const events = await replay(g, clock, {
      keyId,
      projectId,
      start: START,
      minutes: 24 * 60,
      ratePerMinute: 20,
      costUsd: 0.002,
      seed: 7,
    });
    expect(events).toBeGreaterThan(20_000);
    const alerts = await g.admin('GET', '/admin/v1/alerts?status=all');
    expect(alerts.body.data).toEqual([]);
  });

  it('alerts on a 20x cost spike within a minute and suspends the key under auto_suspend', async () => {
    const clock = manualClock(START);
    const { gw: g, keyId, projectId } = await gatewayWithKey('auto_suspend', clock);
    const spikeMinute = 180;
    const spikeStart = START + spikeMinute * MINUTE;
    await replay(g, clock, {
      keyId,
      projectId,
      start: START,
      minutes: spikeMinute + 2,
      ratePerMinute: 20,
      costUsd: 0.002,
      costMultiplierFrom: { minute: spikeMinute, factor: 20 },
      seed: 11,
    });

    const alerts = (await g.admin('GET', `/admin/v1/alerts?key=${keyId}&type=anomaly`)).body.data;
    const costAlert = alerts.find((a: { details: { metric: string } }) => a.details.metric === 'cost');
    expect(costAlert, JSON.stringify(alerts)).toBeDefined();
    const raisedAt = Date.parse(costAlert.created_at);
    expect(raisedAt).toBeGreaterThanOrEqual(spikeStart);
    expect(raisedAt - spikeStart).toBeLessThan(MINUTE);
    expect(costAlert.details.suspended).toBe(true);
    expect((await g.admin('GET', `/admin/v1/keys/${keyId}`)).body.status).toBe('suspended');
    // Nothing was raised before the spike.
    const all = (await g.admin('GET', '/admin/v1/alerts?status=all')).body.data;
    expect(all.every((a: { created_at: string }) => Date.parse(a.created_at) >= spikeStart)).toBe(true);
  });

  it('only alerts, without suspending, when the policy is alert', async () => {
    const clock = manualClock(START);
    const { gw: g, keyId, projectId } = await gatewayWithKey('alert', clock);
    await replay(g, clock, {
      keyId,
      projectId,
      start: START,
      minutes: 122,
      ratePerMinute: 20,
      costUsd: 0.002,
      costMultiplierFrom: { minute: 120, factor: 20 },
      seed: 3,
    });
    const alerts = (await g.admin('GET', `/admin/v1/alerts?key=${keyId}`)).body.data;
    expect(alerts.some((a: { type: string }) => a.type === 'anomaly')).toBe(true);
    expect((await g.admin('GET', `/admin/v1/keys/${keyId}`)).body.status).toBe('active');
  });
});
