import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createKeywarden, type Keywarden } from '../../src/keywarden.js';
import type { Clock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { DEFAULT_OPENAI_KEY } from '../fakes/fake-upstream.js';

export interface TestGateway {
  url: string;
  adminToken: string;
  dataDir: string;
  keywarden: Keywarden;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the admin API answers.
  admin<T = any>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  flushUsage(): Promise<void>;
  /** Every log line the gateway wrote (only kept when started with `captureLogs`). */
  logs: string[];
  stop(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'keywarden-test-'));
}

/** Owner tokens minted per data dir, so a restarted gateway on the same dir can still be driven. */
const ownerTokens = new Map<string, string>();

/** A real gateway on a loopback port, with a real SQLite file in a fresh (or given) data dir. */
export async function startGateway(
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    captureLogs?: boolean;
    clock?: Clock;
    retryDelay?: (ms: number) => Promise<void>;
  } = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? tempDataDir();
  const env = { KEYWARDEN_LOG_LEVEL: options.captureLogs ? 'trace' : 'silent', ...options.env };
  const logs: string[] = [];
  const sink = { write: (line: string) => logs.push(line) };
  const config = loadConfig({ dataDir, port: 0, host: '127.0.0.1' }, env);
  const keywarden = await createKeywarden(config, {
    logger: createLogger(config.logLevel, sink),
    secretEnv: { ...process.env, ...options.env },
    ...(options.clock && { clock: options.clock }),
    ...(options.retryDelay && { retryDelay: options.retryDelay }),
  });
  if (keywarden.firstOwnerToken) ownerTokens.set(dataDir, keywarden.firstOwnerToken);
  const adminToken = ownerTokens.get(dataDir);
  if (!adminToken) throw new Error(`no owner token known for ${dataDir}`);
  await keywarden.server.listen({ host: '127.0.0.1', port: 0 });
  const address = keywarden.server.server.address();
  if (!address || typeof address !== 'object') throw new Error('gateway did not bind');
  const url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    adminToken,
    dataDir,
    keywarden,
    async admin(method, path, body, token = adminToken) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    flushUsage: () => keywarden.usage.flush(),
    logs,
    stop: () => keywarden.close(),
  };
}

/** Registers the fake upstream as the `openai` provider, with the credential the fake accepts. */
export async function addOpenAiProvider(gw: TestGateway, upstreamUrl: string): Promise<void> {
  const created = await gw.admin('POST', '/admin/v1/providers', {
    name: 'openai',
    type: 'openai',
    base_url: upstreamUrl,
    api_key: DEFAULT_OPENAI_KEY,
  });
  if (created.status !== 201)
    throw new Error(`adding the openai provider failed: ${JSON.stringify(created.body)}`);
}
