import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freshKeyState } from '../../domain/rotation.js';
import type { UsageEvent } from '../../domain/usage.js';
import { createLogger } from '../../lib/logger.js';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { createUsageWriter } from './usage-writer.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
let store: Store | undefined;

afterEach(async () => {
  await store?.close();
});

async function seededStore(): Promise<Store> {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'kw-writer-')), 'db.sqlite'));
  await store.insertProject({ id: 'prj_1', name: 'web', limits: {}, createdAt: NOW, rotationPolicy: null });
  await store.insertProvider(
    { id: 'prv_1', name: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9', createdAt: NOW },
    undefined,
  );
  await store.insertKey({
    id: 'key_1',
    name: 'k',
    projectId: 'prj_1',
    secretHash: 'h',
    displayPrefix: 'kw_x',
    ...freshKeyState(NOW),
    defaultProvider: null,
    scopes: {},
    ipAllow: null,
    limits: {},
    expiresAt: null,
    rotationPolicy: null,
    parentId: null,
    canDelegate: false,
    depth: 0,
  });
  return store;
}

const event = (i: number): UsageEvent => ({
  id: `req_${i}`,
  ts: NOW + i,
  requestId: `r_${i}`,
  keyId: 'key_1',
  projectId: 'prj_1',
  providerId: 'prv_1',
  providerName: 'local',
  model: 'm',
  endpoint: 'chat/completions',
  status: 200,
  inputTokens: 1,
  outputTokens: 1,
  cachedTokens: 0,
  costNanoUsd: 10,
  latencyMs: 1,
  ttfbMs: 1,
  clientIp: '127.0.0.1',
  streamed: false,
});

/** A writer whose timer never fires within a test: batches go out on flush() and close() only. */
const writerOver = (store: Store) =>
  createUsageWriter({ store, logger: createLogger('silent'), flushIntervalMs: 60_000, batchSize: 10 });

const requestsStored = async (s: Store) =>
  (await s.queryUsage({ from: 0, to: Number.POSITIVE_INFINITY }, 'day')).reduce(
    (n, row) => n + row.requests,
    0,
  );

describe('the usage writer', () => {
  it('keeps events whose write failed and writes them once storage answers again', async () => {
    const real = await seededStore();
    let failures = 1;
    const flaky: Store = {
      ...real,
      insertUsage: (events) =>
        failures-- > 0 ? Promise.reject(new Error('disk full')) : real.insertUsage(events),
    };
    const writer = writerOver(flaky);
    for (let i = 0; i < 3; i++) writer.record(event(i));
    await expect(writer.flush()).rejects.toThrow('disk full');
    expect(writer.depth()).toBe(3);
    await writer.close();
    expect(writer.depth()).toBe(0);
    expect(await requestsStored(real)).toBe(3);
  });

  it("stores each key's last use with its batch", async () => {
    const real = await seededStore();
    const writer = writerOver(real);
    for (let i = 0; i < 3; i++) writer.record(event(i));
    await writer.flush();
    expect((await real.getKey('key_1'))?.lastUsedAt).toBe(NOW + 2);
    await writer.close();
  });

  it('answers a flush once the events recorded before it are stored, not the ones after', async () => {
    const real = await seededStore();
    const gates: (() => void)[] = [];
    const gated: Store = {
      ...real,
      insertUsage: async (events) => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return real.insertUsage(events);
      },
    };
    const writer = writerOver(gated);
    for (let i = 0; i < 3; i++) writer.record(event(i));
    let firstDone = false;
    let secondDone = false;
    const first = writer.flush().then(() => {
      firstDone = true;
    });
    await expect.poll(() => gates.length).toBe(1);
    // Recorded while the first batch is being written.
    for (let i = 3; i < 5; i++) writer.record(event(i));
    const second = writer.flush().then(() => {
      secondDone = true;
    });
    gates[0]?.();
    await first;
    // The second batch is still being written: its flush waits, the first one does not.
    await expect.poll(() => gates.length).toBe(2);
    expect(secondDone).toBe(false);
    gates[1]?.();
    await second;
    expect(firstDone && secondDone).toBe(true);
    expect(await requestsStored(real)).toBe(5);
    await writer.close();
  });

  it('writes the events recorded during the turn a write was asked for in with it', async () => {
    const real = await seededStore();
    const batches: number[] = [];
    const counted: Store = {
      ...real,
      insertUsage: (events) => {
        batches.push(events.length);
        return real.insertUsage(events);
      },
    };
    const writer = writerOver(counted);
    for (let i = 0; i < 3; i++) writer.record(event(i));
    const first = writer.flush();
    for (let i = 3; i < 5; i++) writer.record(event(i));
    await Promise.all([first, writer.flush()]);
    expect(batches).toEqual([5]);
    await writer.close();
  });
});
