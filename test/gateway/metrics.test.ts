import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { addOpenAiProvider, startGateway, type TestGateway } from '../helpers/gateway.js';

/** Parses Prometheus text format into `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('GET /metrics', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let secret: string;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway();
    await addOpenAiProvider(gw, fake.url);
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    secret = (
      await gw.admin('POST', '/admin/v1/keys', { name: 'app', project: 'web', default_provider: 'openai' })
    ).body.key;
    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const _ of stream);
    const bad = new OpenAI({ apiKey: 'kw_notarealkey', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  it('counts requests, tokens and cost, and times latency and first token, by project, provider and model', async () => {
    await gw.keywarden.watch.idle();
    const samples = parse(await (await fetch(`${gw.url}/metrics`)).text());
    const labels = 'project="web",provider="openai",model="gpt-4o-mini"';
    expect(samples.get(`keywarden_requests_total{${labels},status="2xx"}`)).toBe(2);
    expect(samples.get(`keywarden_tokens_total{${labels},direction="input"}`)).toBeGreaterThan(0);
    expect(samples.get(`keywarden_cost_usd_total{${labels}}`)).toBeGreaterThan(0);
    expect(samples.get(`keywarden_request_duration_seconds_count{${labels}}`)).toBe(2);
    expect(samples.get(`keywarden_time_to_first_token_seconds_count{${labels}}`)).toBe(2);
    expect(samples.get(`keywarden_request_duration_seconds_bucket{le="+Inf",${labels}}`)).toBe(2);
    expect(samples.get('keywarden_refusals_total{reason="invalid_api_key"}')).toBe(1);
    expect(samples.has('keywarden_usage_write_queue_depth')).toBe(true);
  });

  it('carries no key id and no secret unless per-key labels are enabled', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).not.toContain('key_id=');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(DEFAULT_OPENAI_KEY);
  });
});
