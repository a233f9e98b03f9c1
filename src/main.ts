import { createAdminTokensAdmin } from './admin/admin-tokens-admin.js';
import { createStoreAuditLog } from './admin/audit-store-log.js';
import type { Config } from './config/config.js';
import { type ConfigFlags, loadConfig } from './config/load-config.js';
import { migrateDatabase, openDataDir } from './data-dir/open-data-dir.js';
import { createKeywarden } from './keywarden.js';
import { systemClock } from './lib/clock.js';
import { boundHeapGrowth } from './lib/heap-growth.js';

export type Print = (line: string) => void;

/** Where people should point a browser; a wildcard listen address is not one. */
function publicUrl(config: Config, port: number): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function printOwnerToken(print: Print, token: string): void {
  print('');
  print('keywarden initialised. Owner admin token (shown once, store it now):');
  print('');
  print(`  ${token}`);
  print('');
}

/**
 * `keywarden serve`: the gateway, admin API and dashboard on one port, until SIGTERM or SIGINT,
 * then a graceful shutdown (in-flight requests and streams finish, usage is flushed).
 */
export async function runServe(flags: ConfigFlags, print: Print = console.log): Promise<void> {
  boundHeapGrowth();
  const config = loadConfig(flags);
  const keywarden = await createKeywarden(config);
  await keywarden.server.listen({ host: config.host, port: config.port }).catch(async (error) => {
    await keywarden.close();
    throw error;
  });
  const adminHost = config.adminHost ?? config.host;
  await keywarden.adminServer
    ?.listen({ host: adminHost, port: config.adminPort ?? config.port })
    .catch(async (error) => {
      await keywarden.close();
      throw error;
    });
  const port = keywarden.server.server.address();
  const url = publicUrl(config, typeof port === 'object' && port ? port.port : config.port);
  const adminAddress = keywarden.adminServer?.server.address();
  const adminUrl =
    adminAddress && typeof adminAddress === 'object'
      ? publicUrl({ ...config, host: adminHost }, adminAddress.port)
      : url;
  if (keywarden.firstOwnerToken) printOwnerToken(print, keywarden.firstOwnerToken);
  print(`keywarden listening on ${url}`);
  print(`dashboard: ${adminUrl}/   admin API: ${adminUrl}/admin/v1   OpenAI base URL: ${url}/v1`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      keywarden.close().then(resolve, (error) => {
        keywarden.server.log.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** `keywarden init`: initialise a data dir without serving; refuses an initialised one. */
export async function runInit(
  flags: { dataDir?: string; json?: boolean },
  print: Print = console.log,
): Promise<void> {
  const config = loadConfig({ ...(flags.dataDir !== undefined && { dataDir: flags.dataDir }) });
  const { store, markInitialised } = await openDataDir(config, 'init-only');
  try {
    const audit = createStoreAuditLog({ store, clock: systemClock });
    const owner = await createAdminTokensAdmin({ store, clock: systemClock, audit }).createOwner();
    await markInitialised?.();
    if (flags.json) print(JSON.stringify({ admin_token: owner.token, data_dir: config.dataDir }));
    else {
      printOwnerToken(print, owner.token);
      print(`data dir: ${config.dataDir}`);
    }
  } finally {
    await store.close();
  }
}

/** `keywarden migrate`: applies pending migrations to the configured database, then exits. */
export async function runMigrate(flags: { dataDir?: string }, print: Print = console.log): Promise<void> {
  const config = loadConfig({ ...(flags.dataDir !== undefined && { dataDir: flags.dataDir }) });
  const applied = await migrateDatabase(config);
  const where = config.databaseUrl ? 'PostgreSQL' : 'SQLite';
  if (applied.length === 0) print(`${where} schema is up to date`);
  for (const name of applied) print(`applied ${name} to ${where}`);
}
