import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryCounters } from '../../counters/memory/memory-counters.js';
import { freshKeyState } from '../../domain/rotation.js';
import { createLocalChangeBus } from '../../events/change-bus.js';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { compileKey } from '../authenticate/key-directory.js';
import { createPriceTable } from '../meter/price-table.js';
import { type BudgetThresholdEvent, createAdmission } from './admit-request.js';
import { createProjectDirectory } from './project-directory.js';

const NOW = Date.parse('2026-11-28T12:00:00Z');
let store: Store | undefined;

afterEach(async () => {
  await store?.close();
});

async function setUp(limits: Record<string, unknown>) {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'kw-admit-')), 'db.sqlite'));
  await store.insertProject({ id: 'prj_1', name: 'web', limits: {}, createdAt: NOW, rotationPolicy: null });
  const events: BudgetThresholdEvent[] = [];
  const admit = createAdmission({
    counters: createMemoryCounters(),
    projects: createProjectDirectory({ store, changes: createLocalChangeBus() }),
    store,
    prices: createPriceTable({
      overrides: { 'test-model': { input_per_mtok: 1, output_per_mtok: 1 } },
      fallback: undefined,
    }),
    timeZone: 'UTC',
    defaultMaxOutputTokens: 1000,
    onBudgetThreshold: (event) => events.push(event),
  });
  const key = compileKey({
    id: 'key_1',
    name: 'k',
    projectId: 'prj_1',
    secretHash: 'h',
    displayPrefix: 'kw_x',
    ...freshKeyState(NOW),
    defaultProvider: null,
    scopes: {},
    ipAllow: null,
    limits,
    expiresAt: null,
    rotationPolicy: null,
    parentId: null,
    canDelegate: false,
    depth: 0,
  });
  const request = (content = 'hi') =>
    admit({
      key,
      providerType: 'openai',
      inspected: {
        endpoint: 'chat/completions',
        model: 'test-model',
        stream: false,
        json: { model: 'test-model', max_tokens: 1000, messages: [{ role: 'user', content }] },
      },
      now: NOW,
    });
  return { request, events };
}

describe('admission', () => {
  it('raises each alert threshold of a soft budget once, as settled spend crosses it, and never refuses', async () => {
    // $0.01 soft budget; each request settles to $0.003 (3,000 tokens at $1 per million).
    const { request, events } = await setUp({ budgets: [{ usd: 0.01, period: 'day', soft: true }] });
    for (let i = 0; i < 5; i++) {
      const admission = await request();
      await admission.settle({ costNano: 3_000_000, tokens: 3_000 });
    }
    expect(events.map((e) => e.percent)).toEqual([50, 80, 100]);
    expect(events[2]).toMatchObject({
      scope: 'key',
      subjectId: 'key_1',
      period: 'day',
      soft: true,
      limitUsd: 0.01,
    });
  });

  it('gives back a released reservation in full', async () => {
    // The budget holds one worst case ($0.001008) at a time.
    const { request } = await setUp({ budgets: [{ usd: 0.0015, period: 'day' }] });
    const first = await request();
    await expect(request()).rejects.toMatchObject({ code: 'budget_exceeded' });
    await first.release();
    await expect(request()).resolves.toBeDefined();
  });

  // 6,000 bytes of prompt: the byte bound reserves ~6,000 tokens, the tokenizer's estimate 1,507.
  const longPrompt = 'hello world '.repeat(500);

  it('admits a request whose byte bound does not fit a token rate but whose tokenized estimate does', async () => {
    const { request } = await setUp({ tpm: 3_000 });
    const admission = await request(longPrompt);
    expect(admission.headers['x-ratelimit-remaining-tokens']).toBe(String(3_000 - 2_507));
  });

  it('admits against a hard budget on the tokenized estimate when the byte bound would not fit', async () => {
    const { request } = await setUp({ budgets: [{ usd: 0.004, period: 'day' }] });
    await expect(request(longPrompt)).resolves.toBeDefined();
    // The second one does not fit even on its exact estimate.
    await expect(request(longPrompt)).rejects.toMatchObject({ code: 'budget_exceeded' });
  });
});
