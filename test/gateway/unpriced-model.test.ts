import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

describe('a model with no known price', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let key: { id: string; key: string };

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway();
    await gw.admin('POST', '/admin/v1/providers', {
      name: 'local',
      type: 'openai-compatible',
      base_url: fake.url,
      api_key: DEFAULT_OPENAI_KEY,
    });
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    key = (
      await gw.admin('POST', '/admin/v1/keys', { name: 'app', project: 'web', default_provider: 'local' })
    ).body;
    const client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    for (const model of ['my-finetune-v1', 'my-finetune-v1', 'gpt-4o-mini']) {
      await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello there' }] });
    }
    await gw.flushUsage();
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  it('is recorded with cost null while priced models in the same report keep their cost', async () => {
    const { body } = await gw.admin('GET', `/admin/v1/usage?key=${key.id}&group_by=model`);
    const byModel = Object.fromEntries(body.data.map((row: { model: string }) => [row.model, row]));
    expect(byModel['my-finetune-v1']).toMatchObject({ requests: 2, cost_usd: null, unpriced_requests: 2 });
    expect(byModel['gpt-4o-mini'].cost_usd).toBeGreaterThan(0);
    expect(body.totals).toMatchObject({ requests: 3, unpriced_requests: 2 });
  });

  it('is counted in the unpriced-requests metric', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toContain(
      'keywarden_unpriced_requests_total{provider_type="openai-compatible",model="my-finetune-v1"} 2',
    );
    expect(text).toMatch(/keywarden_usage_write_queue_depth \d+/);
  });
});
