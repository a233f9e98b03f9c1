import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cleanEnv, freePort, runKeywarden, type Spawned, spawnKeywarden } from '../cli/spawn-cli.js';
import { createTestDatabase, redisUrl, testRedisPrefix } from '../helpers/services.js';

export interface Instance {
  name: string;
  url: string;
  process: Spawned;
}

export interface Fleet {
  instances: Instance[];
  adminToken: string;
  databaseUrl: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the admin API answers.
  admin<T = any>(
    instance: Instance,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** request_id of every usage event stored. */
  usageRequestIds(): Promise<Set<string>>;
  stop(): Promise<void>;
}

/**
 * `count` real `keywarden serve` processes on one fresh Postgres database and one Redis key prefix,
 * initialised once with `keywarden init` (as an operator would before a rollout).
 */
export async function startFleet(count: number): Promise<Fleet> {
  const databaseUrl = await createTestDatabase();
  const env = cleanEnv({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl ?? '',
    KEYWARDEN_REDIS_PREFIX: testRedisPrefix(),
    KEYWARDEN_MASTER_KEY: randomBytes(32).toString('base64'),
    KEYWARDEN_LOG_LEVEL: 'warn',
  });
  const initDir = mkdtempSync(join(tmpdir(), 'keywarden-fleet-'));
  const init = await runKeywarden(['init', '--json', '--data-dir', initDir], { env });
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  const adminToken: string = JSON.parse(init.stdout).admin_token;

  const instances = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-fleet-'));
      const process = spawnKeywarden(['serve', '--port', String(port), '--data-dir', dataDir], { env });
      await process.waitFor(/listening on/, 30_000);
      return { name: String.fromCharCode(65 + i), url: `http://127.0.0.1:${port}`, process };
    }),
  );

  return {
    instances,
    adminToken,
    databaseUrl,
    async admin(instance, method, path, body) {
      const response = await fetch(`${instance.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async usageRequestIds() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ request_id: string }>('select request_id from usage_events');
        return new Set(rows.map((r) => r.request_id));
      } finally {
        await client.end();
      }
    },
    async stop() {
      await Promise.all(
        instances.map(async ({ process }) => {
          if (process.child.exitCode === null && process.child.signalCode === null)
            process.child.kill('SIGTERM');
          await process.exited;
        }),
      );
    },
  };
}
