import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { addOpenAiProvider, startGateway, type TestGateway } from '../helpers/gateway.js';

let fake: FakeUpstream | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await gateway?.stop();
  await fake?.close();
});

async function setUp() {
  fake = await startFakeUpstream();
  gateway = await startGateway();
  const gw = gateway;
  await addOpenAiProvider(gw, fake.url);
  await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
  const created = await gw.admin('POST', '/admin/v1/keys', {
    name: 'app',
    project: 'web',
    default_provider: 'openai',
  });
  return { gw, key: created.body.key as string };
}

describe('graceful shutdown', () => {
  it('finishes a stream that is in flight, refuses new connections and flushes its usage', async () => {
    const { gw, key } = await setUp();
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count slowly' }] },
      { headers: { 'x-fake-delay-ms': '40', 'x-fake-output-tokens': '10' } },
    );
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);

    const closing = gw.keywarden.close();
    let chunks = 1;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      chunks++;
    }
    await closing;
    // Role chunk, ten content chunks and the finish chunk all arrived after shutdown began.
    expect(chunks).toBe(12);
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();

    const store = await openSqliteStore(join(gw.dataDir, 'keywarden.db'));
    const [totals] = await store.queryUsage({}, null);
    await store.close();
    expect(totals?.requests).toBe(1);
    expect(totals?.outputTokens).toBe(10);
  });
});
