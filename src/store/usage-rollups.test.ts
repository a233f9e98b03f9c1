import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLLUP_BUCKETS_MS, type UsageEvent } from '../domain/usage.js';
import { ROLLUP_COLUMNS, rollupRows, SUMMED } from './usage-rollups.js';

const T0 = Date.UTC(2025, 5, 1, 23, 59);

/** Events from a small world, so that batches repeat identities and cross minute, hour and day edges. */
const event = fc.record({
  ts: fc.integer({ min: T0 - 90_000, max: T0 + 90_000 }),
  keyId: fc.constantFrom('key_a', 'key_b'),
  providerId: fc.constantFrom('prv_a', 'prv_b'),
  model: fc.constantFrom('gpt-4o-mini', 'gpt-4o', null),
  endpoint: fc.constantFrom('chat', 'embeddings'),
  status: fc.constantFrom(200, 429, 500),
  inputTokens: fc.nat(1_000),
  outputTokens: fc.nat(1_000),
  cachedTokens: fc.nat(100),
  costNanoUsd: fc.option(fc.nat(10_000_000), { nil: null }),
  latencyMs: fc.double({ min: 0, max: 5_000, noNaN: true }),
});

type Generated = Omit<
  UsageEvent,
  'id' | 'requestId' | 'projectId' | 'providerName' | 'ttfbMs' | 'clientIp' | 'streamed'
>;

const full = (e: Generated, i: number): UsageEvent => ({
  ...e,
  id: `ev_${i}`,
  requestId: `req_${i}`,
  projectId: `prj_of_${e.keyId}`,
  providerName: e.providerId === 'prv_a' ? 'openai' : 'anthropic',
  ttfbMs: null,
  clientIp: '127.0.0.1',
  streamed: false,
});

/** What one event adds to each of its rows. */
const contribution = (e: UsageEvent): Record<(typeof SUMMED)[number], number> => ({
  requests: 1,
  errors: e.status >= 400 ? 1 : 0,
  input_tokens: e.inputTokens,
  output_tokens: e.outputTokens,
  cached_tokens: e.cachedTokens,
  cost_nusd: e.costNanoUsd ?? 0,
  unpriced: e.costNanoUsd === null ? 1 : 0,
  latency_ms: Math.round(e.latencyMs),
});

/** Every event added to its row of every bucket size, one at a time: what a batch must sum to. */
function reference(events: readonly UsageEvent[]) {
  const rows = new Map<string, Record<string, number | string>>();
  for (const e of events) {
    for (const size of ROLLUP_BUCKETS_MS) {
      const start = Math.floor(e.ts / size) * size;
      const id = JSON.stringify([size, start, e.keyId, e.providerId, e.model ?? '', e.endpoint]);
      const row =
        rows.get(id) ??
        Object.fromEntries([
          ...Object.entries({
            bucket_ms: size,
            bucket_start: start,
            key_id: e.keyId,
            project_id: e.projectId,
          }),
          ...Object.entries({ provider_id: e.providerId, provider_name: e.providerName }),
          ...Object.entries({ model: e.model ?? '', endpoint: e.endpoint }),
          ...SUMMED.map((column) => [column, 0]),
        ]);
      for (const [column, by] of Object.entries(contribution(e))) row[column] = (row[column] as number) + by;
      rows.set(id, row);
    }
  }
  return rows;
}

describe('rollupRows', () => {
  it('sums every event into its row of every bucket size, whatever the order of the batch', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (generated) => {
        const events = generated.map(full);
        const rows = rollupRows(events);
        const expected = reference(events);
        expect(rows).toHaveLength(expected.size);
        for (const row of rows) {
          expect(row).toEqual(expected.get(JSON.stringify(ROLLUP_COLUMNS.map((column) => row[column]))));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives its rows in one fixed order of their identity, so writers lock them alike', () => {
    const events = [T0 + 61_000, T0, T0 + 30_000].map((ts, i) =>
      full(
        {
          ts,
          keyId: i === 1 ? 'key_b' : 'key_a',
          providerId: 'prv_a',
          model: 'gpt-4o',
          endpoint: 'chat',
          status: 200,
          inputTokens: 1,
          outputTokens: 1,
          cachedTokens: 0,
          costNanoUsd: 1,
          latencyMs: 1,
        },
        i,
      ),
    );
    const order = (batch: UsageEvent[]) =>
      rollupRows(batch).map((r) => `${r.bucket_ms}\u0000${r.bucket_start}\u0000${r.key_id}`);
    const identities = order(events);
    expect(identities).toEqual([...identities].sort());
    expect(order([...events].reverse())).toEqual(identities);
  });
});
