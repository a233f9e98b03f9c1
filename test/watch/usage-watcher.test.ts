import { describe, expect, it } from 'vitest';
import type { RaiseAlert } from '../../src/admin/alerts.js';
import type { WatchConfig } from '../../src/config/config.js';
import { NANO_PER_USD, type UsageEvent } from '../../src/domain/usage.js';
import { createLogger } from '../../src/lib/logger.js';
import { createUsageWatcher } from '../../src/watch/usage-watcher.js';

const MINUTE = 60_000;
const START = Date.UTC(2026, 2, 2, 0, 0);

const config: WatchConfig = {
  enabled: true,
  onAnomaly: 'alert',
  sigma: 3,
  ratio: 3,
  warmupMinutes: 30,
  floors: { requests: 5, tokens: 50, costUsd: 0.001, errors: 1_000 },
  spendRules: [],
  authFailureBurst: 1_000,
  newIpAlerts: false,
  newModelAlerts: false,
  expiryWarningHours: 24,
};

const event = (ts: number): UsageEvent => ({
  id: `u-${ts}`,
  ts,
  requestId: `r-${ts}`,
  keyId: 'key-1',
  projectId: 'project-1',
  providerId: 'provider-1',
  providerName: 'openai',
  model: 'gpt-4o-mini',
  endpoint: '/v1/chat/completions',
  status: 200,
  inputTokens: 20,
  outputTokens: 10,
  cachedTokens: 0,
  costNanoUsd: 0.0001 * NANO_PER_USD,
  latencyMs: 5,
  ttfbMs: null,
  clientIp: '127.0.0.1',
  streamed: false,
});

/** Sends `perMinute` requests in each of the minutes, spread over the minute. */
async function feed(
  watcher: ReturnType<typeof createUsageWatcher>,
  minutes: number[],
  perMinute: number,
): Promise<void> {
  for (const minute of minutes)
    for (let i = 0; i < perMinute; i++) await watcher.observe(event(START + minute * MINUTE + i * 250));
}

describe('the usage watcher', () => {
  it('raises each anomaly once per subject, metric and minute, and again in the next minute that is anomalous', async () => {
    const raised: RaiseAlert[] = [];
    const watcher = createUsageWatcher({
      config,
      alerts: {
        raise: async (input) => {
          raised.push(input);
          return undefined;
        },
      },
      suspendKey: async () => {},
      saveSightings: async () => {},
      logger: createLogger('silent'),
    });
    const steady = Array.from({ length: 60 }, (_, m) => m);
    await feed(watcher, steady, 10);
    expect(raised).toEqual([]);

    // 20 times the usual rate, two minutes in a row.
    await feed(watcher, [60], 200);
    const first = raised.splice(0);
    const seen = (alerts: RaiseAlert[]) => alerts.map((a) => a.dedupeKey).sort();
    expect(seen(first)).toEqual([
      'anomaly:key:key-1:cost',
      'anomaly:key:key-1:requests',
      'anomaly:key:key-1:tokens',
      'anomaly:project:project-1:cost',
      'anomaly:project:project-1:requests',
      'anomaly:project:project-1:tokens',
    ]);
    const requests = first.find((a) => a.dedupeKey === 'anomaly:key:key-1:requests');
    // Raised by the request that crossed the bound (mean 10, no spread): the 31st of the minute.
    expect(requests?.details).toMatchObject({ value: 31, baseline_mean: 10, baseline_sd: 0 });
    expect(requests?.message).toBe('key key-1: requests this minute is 31, 3× the usual 10');

    await feed(watcher, [61], 200);
    expect(seen(raised.splice(0))).toEqual(seen(first));

    // Back to the usual rate: nothing more.
    await feed(watcher, [62, 63], 10);
    expect(raised).toEqual([]);
  });
});
