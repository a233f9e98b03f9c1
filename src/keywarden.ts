import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { AdminServices } from './admin/admin-services.js';
import { createAdminTokensAdmin } from './admin/admin-tokens-admin.js';
import { createAuditAdmin } from './admin/audit-admin.js';
import type { AuditLog } from './admin/audit-log.js';
import { createStoreAuditLog } from './admin/audit-store-log.js';
import { createDoctorAdmin } from './admin/doctor-admin.js';
import { createHostPostureChecks } from './admin/doctor-host.js';
import { createKeysAdmin, type LimitUsageOf } from './admin/keys-admin.js';
import { createProjectsAdmin } from './admin/projects-admin.js';
import { createProvidersAdmin } from './admin/providers-admin.js';
import { createUsageAdmin } from './admin/usage-admin.js';
import type { Config } from './config/config.js';
import { CONFIG_FILE_NAME } from './config/load-config.js';
import { createMemoryCounters } from './counters/memory/memory-counters.js';
import { openDataDir } from './data-dir/open-data-dir.js';
import { createUpstreamPolicy } from './domain/upstream-policy.js';
import { createLocalChangeBus } from './events/change-bus.js';
import { createHttpServer } from './http/server.js';
import { type Clock, systemClock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { limitUsage } from './limits/limit-usage.js';
import { createAdmission } from './proxy/admit/admit-request.js';
import { createProjectDirectory } from './proxy/admit/project-directory.js';
import { createKeyDirectory } from './proxy/authenticate/key-directory.js';
import { createPriceTable } from './proxy/meter/price-table.js';
import { createUsageWriter, type UsageWriter } from './proxy/meter/usage-writer.js';
import { createProxyPipeline } from './proxy/pipeline.js';
import { createProviderDirectory } from './proxy/upstream/provider-directory.js';
import { createUpstreamClient } from './proxy/upstream/upstream-client.js';
import { MASTER_KEY_FILE } from './secrets/master-key.js';
import { createSecretRefResolver } from './secrets/secret-ref.js';

export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

export interface KeywardenOptions {
  clock?: Clock;
  logger?: Logger;
  /** Where `env:` secret references are read; defaults to the process environment. */
  secretEnv?: NodeJS.ProcessEnv;
}

export interface Keywarden {
  config: Readonly<Config>;
  admin: AdminServices;
  /** The audit port, for security events raised outside the admin API (leak reports, anomalies). */
  auditLog: AuditLog;
  usage: UsageWriter;
  metrics: Metrics;
  server: FastifyInstance;
  /** The admin API and dashboard, when `admin_port` / `admin_host` put them on their own listener. */
  adminServer: FastifyInstance | undefined;
  /** The owner token minted by this start, when it initialised the data dir; shown once. */
  firstOwnerToken: string | undefined;
  /** Stops accepting, waits (bounded) for in-flight requests and streams, flushes usage, closes storage. */
  close(): Promise<void>;
}

/** The one composition root: every implementation is chosen and wired here, once. */
export async function createKeywarden(
  config: Readonly<Config>,
  options: KeywardenOptions = {},
): Promise<Keywarden> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const { store, envelope, markInitialised } = await openDataDir(config, 'open-or-init');
  const changes = createLocalChangeBus();

  const audit = createStoreAuditLog({ store, clock });
  const upstreamPolicy = createUpstreamPolicy({
    allowLinkLocal: config.proxy.allowLinkLocalUpstreams,
    allow: config.proxy.upstreamAllow,
    deny: config.proxy.upstreamDeny,
  });
  const counters = createMemoryCounters();
  const limitUsageOf: LimitUsageOf = (subject) =>
    limitUsage({ counters, store, timeZone: config.limits.timeZone }, subject, clock.now());
  const projects = createProjectsAdmin({ store, clock, changes, audit, limitUsage: limitUsageOf });
  const admin: AdminServices = {
    providers: createProvidersAdmin({ store, clock, envelope, changes, config, audit, upstreamPolicy }),
    projects,
    keys: createKeysAdmin({ store, clock, changes, projects, audit, limitUsage: limitUsageOf }),
    usage: createUsageAdmin({ store, projects }),
    adminTokens: createAdminTokensAdmin({ store, clock, audit }),
    audit: createAuditAdmin({ store, projects }),
    doctor: createDoctorAdmin({
      store,
      clock,
      projects,
      hostChecks: createHostPostureChecks({
        dataDir: config.dataDir,
        configFileName: CONFIG_FILE_NAME,
        masterKeyFromEnv: config.masterKey !== undefined,
        masterKeyFileName: MASTER_KEY_FILE,
      }),
    }),
  };

  let firstOwnerToken: string | undefined;
  if (markInitialised) {
    firstOwnerToken = (await admin.adminTokens.createOwner()).token;
    await markInitialised();
  }

  const providers = createProviderDirectory({
    store,
    envelope,
    secretRefs: createSecretRefResolver(options.secretEnv ?? process.env, clock),
    changes,
  });
  await providers.reload();

  const usage = createUsageWriter({ store, logger, ...config.usage });
  const upstream = createUpstreamClient({
    headersTimeoutMs: config.proxy.upstreamHeadersTimeoutMs,
    bodyTimeoutMs: config.proxy.upstreamBodyTimeoutMs,
    policy: upstreamPolicy,
  });
  const metrics = createMetrics({ usageQueueDepth: () => usage.depth() });
  const unpriced = new Set<string>();
  const prices = createPriceTable({
    ...config.pricing,
    onUnpriced: (providerType, model) => {
      metrics.unpricedRequests.inc({ provider_type: providerType, model });
      if (unpriced.has(`${providerType}/${model}`)) return;
      unpriced.add(`${providerType}/${model}`);
      logger.warn(
        { provider_type: providerType, model },
        'no price for model; its usage is recorded with cost null',
      );
    },
  });
  const admit = createAdmission({
    counters,
    projects: createProjectDirectory({ store, changes }),
    store,
    prices,
    timeZone: config.limits.timeZone,
    defaultMaxOutputTokens: config.limits.defaultMaxOutputTokens,
    onBudgetThreshold: (event) => logger.warn({ budget: event }, 'budget threshold crossed'),
  });
  const handle = createProxyPipeline({
    keys: createKeyDirectory({ store, changes, clock }),
    providers,
    admit,
    upstream,
    usage,
    clock,
    logger,
    prices,
  });

  const inFlight = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;
  const separateAdmin = config.adminPort !== undefined || config.adminHost !== undefined;
  const serverFor = (serves: 'all' | 'proxy' | 'admin') =>
    createHttpServer({
      logger,
      admin,
      metrics: metrics.registry,
      trustProxy: config.proxy.trustProxy,
      version: VERSION,
      isClosing: () => closing !== undefined,
      clock,
      limits: config.http,
      serves,
      proxy: {
        handle,
        dialectOf: (name) =>
          name === null ? 'openai' : (providers.byName(name)?.adapter.dialect ?? 'openai'),
        maxBodyBytes: config.proxy.maxBodyBytes,
        inFlight,
      },
    });
  const server = await serverFor(separateAdmin ? 'proxy' : 'all');
  const adminServer = separateAdmin ? await serverFor('admin') : undefined;

  const close = async () => {
    // Stop accepting; requests that arrive on open keep-alive connections now get 503.
    const closed = Promise.all([server.close(), adminServer?.close()]);
    const deadline = Date.now() + config.shutdownGraceMs;
    while (inFlight.size > 0 && Date.now() < deadline) {
      const grace = new Promise<void>((resolve) => setTimeout(resolve, deadline - Date.now()).unref());
      await Promise.race([Promise.all(inFlight), grace]);
    }
    // Connections that finished their last request are idle now; anything still open past the grace is cut.
    server.server.closeIdleConnections();
    server.server.closeAllConnections();
    await closed;
    await upstream.close().catch(() => undefined);
    await usage.close();
    await counters.close();
    await store.close();
  };

  return {
    config,
    admin,
    auditLog: audit,
    usage,
    metrics,
    server,
    adminServer,
    firstOwnerToken,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
