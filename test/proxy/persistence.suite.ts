import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionText, DEFAULT_ANTHROPIC_KEY, DEFAULT_OPENAI_KEY } from '../fakes/fake-upstream.js';
import { startGateway } from '../helpers/gateway.js';
import {
  adminOk,
  type CreatedKey,
  envFor,
  eventually,
  GROQ_KEY,
  type ProxyEnv,
  startProxyEnv,
} from './proxy-env.js';

/** The raw bytes of the SQLite database and its side files, as a latin1 string for searching. */
function databaseBytes(dataDir: string): { files: string[]; text: string } {
  const files = ['keywarden.db', 'keywarden.db-wal', 'keywarden.db-journal', 'keywarden.db-shm']
    .map((name) => join(dataDir, name))
    .filter((path) => existsSync(path));
  return { files, text: files.map((path) => readFileSync(path).toString('latin1')).join('\n') };
}

describe('persistence', () => {
  let env: ProxyEnv;
  const keys: CreatedKey[] = [];

  beforeAll(async () => {
    env = await startProxyEnv();
    for (const fields of [
      {},
      { default_provider: 'anthropic' },
      { default_provider: 'groq', scopes: { providers: ['groq'], models: ['llama-*'] } },
    ]) {
      keys.push(await env.createKey(fields));
    }
    // Some traffic, so that usage rows exist and the WAL has seen writes.
    const [openaiKey, anthropicKey] = keys;
    await env
      .openai(openaiKey?.key ?? '')
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'persist me' }] },
        { headers: { 'x-fake-output-tokens': '3' } },
      );
    await env.anthropic(anthropicKey?.key ?? '').messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'persist me too' }],
    });
    await env.gw.flushUsage();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('stores neither provider api keys nor kw_/kwa_ secrets in the raw database or WAL file', async () => {
    const { files, text } = databaseBytes(env.gw.dataDir);
    expect(files).toContain(join(env.gw.dataDir, 'keywarden.db'));
    expect(text.length).toBeGreaterThan(0);
    const secrets = {
      openai: DEFAULT_OPENAI_KEY,
      anthropic: DEFAULT_ANTHROPIC_KEY,
      groq: GROQ_KEY,
      admin: env.gw.adminToken,
      ...Object.fromEntries(keys.map((k, i) => [`key${i}`, k.key])),
      // The random part alone would be just as bad.
      ...Object.fromEntries(keys.map((k, i) => [`key${i}-body`, k.key.slice('kw_'.length)])),
    };
    const found = Object.entries(secrets)
      .filter(([, secret]) => secret.length > 0 && text.includes(secret))
      .map(([name]) => name);
    expect(found).toEqual([]);
  });

  it('keeps providers, keys and usage across a restart with the same data dir', async () => {
    const [openaiKey] = keys;
    if (!openaiKey) throw new Error('no key');
    const usageBefore = await env.usageByModel(openaiKey.id);
    expect(usageBefore.totals.requests).toBe(1);

    const dataDir = env.gw.dataDir;
    await env.gw.stop();
    const gw = await startGateway({ dataDir, clock: env.clock });
    env = envFor(gw, env.fake, env.groq, env.clock);

    const providers = await adminOk<{ data: { name: string; type: string }[] }>(
      gw,
      'GET',
      '/admin/v1/providers',
    );
    expect(providers.data.map((p) => p.name).sort()).toEqual(['anthropic', 'groq', 'openai']);
    const listed = await adminOk<{ data: { id: string }[] }>(gw, 'GET', '/admin/v1/keys');
    expect(listed.data.map((k) => k.id)).toEqual(expect.arrayContaining(keys.map((k) => k.id)));

    // Usage written before the restart is still there.
    const usageAfter = await env.usageByModel(openaiKey.id);
    expect(usageAfter).toEqual(usageBefore);

    // The old key still works, with the provider credential decrypted from the store.
    const completion = await env
      .openai(openaiKey.key)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'after restart' }] },
        { headers: { 'x-fake-output-tokens': '2' } },
      );
    expect(completion.choices[0]?.message.content).toBe(completionText(2));
    expect(env.fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${DEFAULT_OPENAI_KEY}`);
    await eventually(async () => {
      const usage = await env.usageByModel(openaiKey.id);
      expect(usage.totals.requests).toBe(2);
      expect(usage.totals.output_tokens).toBe(usageBefore.totals.output_tokens + 2);
    });

    // And the secrets are still nowhere in the files after another round of writes.
    const { text } = databaseBytes(dataDir);
    expect(text.includes(DEFAULT_OPENAI_KEY)).toBe(false);
    expect(text.includes(openaiKey.key)).toBe(false);
  });
});
