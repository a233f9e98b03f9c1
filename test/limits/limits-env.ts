import OpenAI from 'openai';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export interface LimitsEnv {
  gw: TestGateway;
  fake: FakeUpstream;
  clock: ManualClock;
  project(name: string, limits?: unknown): Promise<{ id: string }>;
  key(
    project: string,
    limits?: unknown,
    extra?: Record<string, unknown>,
  ): Promise<{ id: string; key: string }>;
  client(key: string): OpenAI;
  /** Settled spend (USD) and requests recorded for a key or project. */
  spend(filter: string): Promise<{ cost_usd: number; requests: number; output_tokens: number }>;
  close(): Promise<void>;
}

let sequence = 0;

/** A gateway on a manual clock in front of the fake upstream, with one OpenAI provider. */
export async function startLimitsEnv(
  dataDir?: string,
  clock = manualClock(Date.parse('2026-11-28T12:00:00Z')),
) {
  const fake = await startFakeUpstream();
  const gw = await startGateway({ clock, ...(dataDir && { dataDir }) });
  if (!dataDir) {
    const created = await gw.admin('POST', '/admin/v1/providers', {
      name: 'openai',
      type: 'openai',
      base_url: fake.url,
      api_key: DEFAULT_OPENAI_KEY,
    });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  }
  const env: LimitsEnv = {
    gw,
    fake,
    clock,
    async project(name, limits) {
      const created = await gw.admin('POST', '/admin/v1/projects', {
        name,
        ...(limits !== undefined && { limits }),
      });
      if (created.status !== 201) throw new Error(JSON.stringify(created.body));
      return created.body;
    },
    async key(project, limits, extra = {}) {
      const created = await gw.admin('POST', '/admin/v1/keys', {
        name: `k${++sequence}`,
        project,
        default_provider: 'openai',
        ...(limits !== undefined && { limits }),
        ...extra,
      });
      if (created.status !== 201) throw new Error(JSON.stringify(created.body));
      return created.body;
    },
    client: (key) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 20_000 }),
    async spend(filter) {
      await gw.flushUsage();
      return (await gw.admin('GET', `/admin/v1/usage?${filter}`)).body.totals;
    },
    async close() {
      await gw.stop();
      await fake.close();
    },
  };
  return env;
}

/** Streams a chat completion to its end; resolves to 'ok' or the refusal's HTTP status. */
export async function streamChat(
  client: OpenAI,
  maxTokens: number,
  outputTokens = maxTokens,
): Promise<'ok' | number> {
  try {
    const stream = await client.chat.completions.create(
      {
        model: 'gpt-4o-mini',
        stream: true,
        max_tokens: maxTokens,
        messages: [{ role: 'user', content: 'hi' }],
      },
      { headers: { 'x-fake-output-tokens': String(outputTokens) } },
    );
    for await (const _ of stream) {
      // read to the end
    }
    return 'ok';
  } catch (error) {
    if (error instanceof OpenAI.APIError && error.status !== undefined) return error.status;
    throw error;
  }
}
