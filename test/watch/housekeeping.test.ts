import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway, tempDataDir } from '../helpers/gateway.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 12);

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

describe('housekeeping', () => {
  it('prunes raw usage past usage.retention_days and keeps the totals in the rollups', async () => {
    const clock = manualClock(NOW);
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, 'keywarden.yaml'), 'usage:\n  retention_days: 7\n');
    gw = await startGateway({ dataDir, clock });
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    const key = (await gw.admin('POST', '/admin/v1/keys', { name: 'bot', project: 'web' })).body;
    for (const [i, ts] of [NOW - 30 * DAY, NOW - 8 * DAY, NOW - DAY].entries()) {
      gw.keywarden.usage.record({
        id: `req_old_${i}`,
        ts,
        requestId: `rid_${i}`,
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
        costNanoUsd: 1_000_000,
        latencyMs: 100,
        ttfbMs: 50,
        clientIp: '127.0.0.1',
        streamed: false,
      });
    }
    await gw.flushUsage();
    await gw.keywarden.watch.housekeeping.run();

    const events = (await gw.admin('GET', `/admin/v1/usage/events?key=${key.id}`)).body.data;
    expect(events.map((e: { id: string }) => e.id)).toEqual(['req_old_2']);
    const usage = (await gw.admin('GET', `/admin/v1/usage?key=${key.id}`)).body;
    expect(usage.totals.requests).toBe(3);
  });

  it('raises one alert for a key that expires within the warning window', async () => {
    const clock = manualClock(NOW);
    gw = await startGateway({ clock });
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    const soon = (
      await gw.admin('POST', '/admin/v1/keys', {
        name: 'soon',
        project: 'web',
        expires_at: new Date(NOW + 3 * 3_600_000).toISOString(),
      })
    ).body;
    await gw.admin('POST', '/admin/v1/keys', {
      name: 'later',
      project: 'web',
      expires_at: new Date(NOW + 30 * DAY).toISOString(),
    });
    await gw.keywarden.watch.housekeeping.run();
    await gw.keywarden.watch.housekeeping.run();
    const alerts = (await gw.admin('GET', '/admin/v1/alerts?type=key_expiring')).body.data;
    expect(alerts.map((a: { key_id: string }) => a.key_id)).toEqual([soon.id]);
  });
});
