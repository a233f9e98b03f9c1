/**
 * Shared set-up for the proxy integration tests: a gateway, a fake OpenAI + Anthropic upstream,
 * a second fake standing in for Groq (an `openai-compatible` provider under a `/openai` base path),
 * the three providers registered, a project, and helpers to mint keys and SDK clients.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  DEFAULT_ANTHROPIC_KEY,
  DEFAULT_OPENAI_KEY,
  type FakeUpstream,
  startFakeUpstream,
} from '../fakes/fake-upstream.js';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const GROQ_KEY = 'gsk_test_groq_upstream';
export const PROJECT = 'web';

export interface CreatedKey {
  id: string;
  key: string;
  [field: string]: unknown;
}

export interface UsageRowView {
  model: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens?: number;
  cost_usd: number | null;
}

export interface ProxyEnv {
  gw: TestGateway;
  /** The gateway's clock: advance it to test lifetimes without sleeping. */
  clock: ManualClock;
  fake: FakeUpstream;
  groq: FakeUpstream;
  createKey(fields?: Record<string, unknown>): Promise<CreatedKey>;
  openai(key: string, options?: { baseURL?: string }): OpenAI;
  anthropic(key: string): Anthropic;
  /** Flushes buffered usage, then returns `GET /admin/v1/usage?group_by=model&key=<id>`. */
  usageByModel(keyId: string): Promise<{ data: UsageRowView[]; totals: Omit<UsageRowView, 'model'> }>;
  close(): Promise<void>;
}

let keySequence = 0;

export async function adminOk<T = unknown>(
  gw: TestGateway,
  method: string,
  path: string,
  body?: unknown,
  expected = [200, 201],
): Promise<T> {
  const res = await gw.admin<T>(method, path, body);
  if (!expected.includes(res.status)) {
    throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

export async function registerProviders(
  gw: TestGateway,
  fake: FakeUpstream,
  groq: FakeUpstream,
): Promise<void> {
  await adminOk(gw, 'POST', '/admin/v1/providers', {
    name: 'openai',
    type: 'openai',
    base_url: fake.url,
    api_key: DEFAULT_OPENAI_KEY,
  });
  await adminOk(gw, 'POST', '/admin/v1/providers', {
    name: 'anthropic',
    type: 'anthropic',
    base_url: fake.url,
    api_key: DEFAULT_ANTHROPIC_KEY,
  });
  await adminOk(gw, 'POST', '/admin/v1/providers', {
    name: 'groq',
    type: 'openai-compatible',
    base_url: `${groq.url}/openai`,
    api_key: GROQ_KEY,
  });
  await adminOk(gw, 'POST', '/admin/v1/projects', { name: PROJECT });
}

export function envFor(
  gw: TestGateway,
  fake: FakeUpstream,
  groq: FakeUpstream,
  clock: ManualClock,
): ProxyEnv {
  return {
    gw,
    clock,
    fake,
    groq,
    async createKey(fields = {}) {
      const body = {
        name: `key-${process.pid}-${++keySequence}`,
        project: PROJECT,
        default_provider: 'openai',
        ...fields,
      };
      const created = await adminOk<CreatedKey>(gw, 'POST', '/admin/v1/keys', body, [201]);
      if (typeof created.key !== 'string' || !created.key.startsWith('kw_')) {
        throw new Error(`POST /admin/v1/keys returned no kw_ key: ${JSON.stringify(created)}`);
      }
      return created;
    },
    openai(key, options = {}) {
      return new OpenAI({
        apiKey: key,
        baseURL: options.baseURL ?? `${gw.url}/v1`,
        maxRetries: 0,
        timeout: 10_000,
      });
    },
    anthropic(key) {
      return new Anthropic({ apiKey: key, baseURL: `${gw.url}/anthropic`, maxRetries: 0, timeout: 10_000 });
    },
    async usageByModel(keyId) {
      await gw.flushUsage();
      return adminOk(gw, 'GET', `/admin/v1/usage?group_by=model&key=${encodeURIComponent(keyId)}`);
    },
    async close() {
      await gw.stop();
      await Promise.all([fake.close(), groq.close()]);
    },
  };
}

export async function startProxyEnv(options: { dataDir?: string } = {}): Promise<ProxyEnv> {
  const [fake, groq] = await Promise.all([
    startFakeUpstream(),
    startFakeUpstream({ openaiKey: GROQ_KEY, pathPrefix: '/openai' }),
  ]);
  const clock = manualClock();
  const gw = await startGateway({ clock, ...(options.dataDir && { dataDir: options.dataDir }) });
  try {
    await registerProviders(gw, fake, groq);
  } catch (error) {
    await gw.stop();
    await Promise.all([fake.close(), groq.close()]);
    throw error;
  }
  return envFor(gw, fake, groq, clock);
}

/** Usage rows can land a moment after the client saw the end of a stream: poll briefly. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
