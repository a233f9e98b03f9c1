// Cost of admission per request: reserve + settle against the in-process counters, with 1 and with
// 10 limits on a key (and its project). Runs the compiled code in dist/ (`npm run build` first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryCounters } from '../dist/counters/memory/memory-counters.js';
import { createLocalChangeBus } from '../dist/events/change-bus.js';
import { createAdmission } from '../dist/proxy/admit/admit-request.js';
import { createProjectDirectory } from '../dist/proxy/admit/project-directory.js';
import { compileKey } from '../dist/proxy/authenticate/key-directory.js';
import { createPriceTable } from '../dist/proxy/meter/price-table.js';
import { openSqliteStore } from '../dist/store/sqlite/sqlite-store.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 50_000);
const NOW = Date.parse('2026-11-28T12:00:00Z');
const big = 1e9;

const scenarios = {
  '1 limit (rpm)': { key: { rpm: big }, project: {} },
  '10 limits (key: rpm, tpm, concurrency, 3 budgets; project: rpm, tpm, concurrency, 1 budget)': {
    key: {
      rpm: big,
      tpm: big,
      concurrency: big,
      budgets: [
        { usd: big, period: 'hour' },
        { usd: big, period: 'day' },
        { usd: big, period: 'month', soft: true },
      ],
    },
    project: { rpm: big, tpm: big, concurrency: big, budgets: [{ usd: big, period: 'month' }] },
  },
};

const body = {
  model: 'gpt-4o-mini',
  max_tokens: 256,
  messages: [
    {
      role: 'system',
      content: 'You are a helpful assistant for an online hardware store. Answer concisely.',
    },
    {
      role: 'user',
      content: 'I am looking for a cordless drill for light DIY work at home. What do you suggest?',
    },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'kw-bench-admission-'));
const rows = [];
try {
  for (const [name, limits] of Object.entries(scenarios)) {
    const store = await openSqliteStore(join(dir, `${rows.length}.db`));
    await store.insertProject({
      id: 'prj_b',
      name: `p${rows.length}`,
      limits: limits.project,
      createdAt: NOW,
    });
    const admit = createAdmission({
      counters: createMemoryCounters(),
      projects: createProjectDirectory({ store, changes: createLocalChangeBus() }),
      store,
      prices: createPriceTable({ overrides: {}, fallback: undefined }),
      timeZone: 'UTC',
      defaultMaxOutputTokens: 4096,
      onBudgetThreshold: () => {},
    });
    const key = compileKey({
      id: 'key_b',
      name: 'k',
      projectId: 'prj_b',
      secretHash: 'h',
      displayPrefix: 'kw_b',
      status: 'active',
      defaultProvider: null,
      scopes: {},
      ipAllow: null,
      limits: limits.key,
      expiresAt: null,
      createdAt: NOW,
      updatedAt: NOW,
      lastUsedAt: null,
    });
    const once = async (i) => {
      const admission = await admit({
        key,
        providerType: 'openai',
        inspected: {
          endpoint: 'chat/completions',
          model: 'gpt-4o-mini',
          stream: false,
          json: { ...body, user: `u${i}` },
        },
        now: NOW + i,
      });
      await admission.settle({ costNano: 1000, tokens: 200 });
    };
    for (let i = 0; i < 2_000; i++) await once(i); // warm up (and seed the budget counters)
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) await once(i);
    const micros = Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS;
    rows.push({ scenario: name, us_per_request: Number(micros.toFixed(2)) });
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('\nadmission (reserve + settle, in-process counters), µs per request');
for (const row of rows) console.log(`  ${String(row.us_per_request).padStart(8)} µs  ${row.scenario}`);
if (process.env.RESULTS_DIR) {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  mkdirSync(process.env.RESULTS_DIR, { recursive: true });
  writeFileSync(join(process.env.RESULTS_DIR, 'admission.json'), `${JSON.stringify(rows, null, 2)}\n`);
}
