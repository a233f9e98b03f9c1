import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { AdminServices } from './admin/admin-services.js';
import { createAdminTokensAdmin } from './admin/admin-tokens-admin.js';
import { createAuditAdmin } from './admin/audit-admin.js';
import type { AuditLog } from './admin/audit-log.js';
import { createStoreAuditLog } from './admin/audit-store-log.js';
import { type AutoRotation, createAutoRotation } from './admin/auto-rotation.js';
import { createBudgetCarving } from './admin/delegation-budgets.js';
import { createDoctorAdmin } from './admin/doctor-admin.js';
import { createHostPostureChecks } from './admin/doctor-host.js';
import { createGithubLeakReports, parseGithubPublicKeys } from './admin/github-leak-reports.js';
import { createKeyDelegation } from './admin/key-delegation.js';
import { createKeysAdmin, type LimitUsageOf } from './admin/keys-admin.js';
import { createLeaksAdmin, type LeakEvent } from './admin/leaks-admin.js';
import { createProjectsAdmin } from './admin/projects-admin.js';
import { createProvidersAdmin, RESERVED_NAMES } from './admin/providers-admin.js';
import { createSecretSinks } from './admin/rotation-sinks.js';
import { createSecurityEvents } from './admin/security-events.js';
import { createUsageAdmin } from './admin/usage-admin.js';
import type { Config } from './config/config.js';
import { CONFIG_FILE_NAME } from './config/load-config.js';
import type { Counters } from './counters/counters.js';
import { createMemoryCounters } from './counters/memory/memory-counters.js';
import { createSessions } from './dashboard/sessions.js';
import { loadDashboardFiles } from './dashboard/static-files.js';
import { openDataDir } from './data-dir/open-data-dir.js';
import { GatewayError } from './domain/errors.js';
import { createUpstreamPolicy } from './domain/upstream-policy.js';
import { type ChangeBus, createLocalChangeBus } from './events/change-bus.js';
import { type RelayedChangeBus, relayChanges } from './events/change-relay.js';
import { createHttpServer } from './http/server.js';
import { type Clock, systemClock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { limitUsage } from './limits/limit-usage.js';
import { createAdmission } from './proxy/admit/admit-request.js';
import { createProjectDirectory } from './proxy/admit/project-directory.js';
import { authenticateKey } from './proxy/authenticate/authenticate-key.js';
import { createKeyDirectory } from './proxy/authenticate/key-directory.js';
import { authorizeKeyUse } from './proxy/authorize/authorize-request.js';
import { durableReply } from './proxy/meter/durable-reply.js';
import { createPriceTable } from './proxy/meter/price-table.js';
import { createUsageWriter, type UsageWriter } from './proxy/meter/usage-writer.js';
import { createProxyPipeline, type ProxyReply, type ProxyRequest } from './proxy/pipeline.js';
import { createOpenStreams } from './proxy/upstream/open-streams.js';
import {
  type CredentialFailingListener,
  createProviderDirectory,
} from './proxy/upstream/provider-directory.js';
import type { Dialect } from './proxy/upstream/providers/provider-adapter.js';
import type { FailoverOptions } from './proxy/upstream/send-with-failover.js';
import { createUpstreamClient } from './proxy/upstream/upstream-client.js';
import { createExternalSecrets } from './secrets/external-secrets.js';
import { MASTER_KEY_FILE } from './secrets/master-key.js';
import { createSecretRefResolver } from './secrets/secret-ref.js';
import { createWatch, type Watch } from './watch/watch.js';

export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

export interface KeywardenOptions {
  clock?: Clock;
  logger?: Logger;
  /** Waits between alert webhook retries; tests pass one that records the wait and returns at once. */
  retryDelay?: (ms: number) => Promise<void>;
  /** Where `env:` secret references are read; defaults to the process environment. */
  secretEnv?: NodeJS.ProcessEnv;
  /** Told when an upstream refuses a provider credential; default: a warning in the log. */
  onCredentialFailing?: CredentialFailingListener;
  /** How long Vault and AWS Secrets Manager values are cached (default 5 minutes). */
  secretCacheTtlMs?: number;
  /** Retry and failover across provider credentials. */
  failover?: FailoverOptions;
  /** Told about every known key or admin token reported leaked (default: a log warning). */
  onLeak?: (event: LeakEvent) => void | Promise<void>;
}

export interface Keywarden {
  config: Readonly<Config>;
  admin: AdminServices;
  /** The audit port, for security events raised outside the admin API (leak reports, anomalies). */
  auditLog: AuditLog;
  usage: UsageWriter;
  metrics: Metrics;
  /** Rotates keys whose policy asks for it (every minute; `runOnce()` for tests and operators). */
  autoRotation: AutoRotation;
  /** Alerts, the usage watcher and webhook delivery. */
  watch: Watch;
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
  const localChanges = createLocalChangeBus();
  const relayed = await openChangeRelay(config, localChanges, logger);
  const changes = relayed ?? localChanges;
  // With other instances, every cache is dropped this often, in case a relayed change was missed.
  const cacheTtlMs = relayed ? config.scaleOut.cacheTtlMs : Number.POSITIVE_INFINITY;
  const cacheExpiry = relayed
    ? setInterval(() => void localChanges.publish({ kind: 'all' }).catch(() => undefined), cacheTtlMs).unref()
    : undefined;

  const usage = createUsageWriter({
    store,
    logger,
    ...config.usage,
    onWriteFailed: () => metrics.usageWriteFailures.inc(),
  });
  const metrics = createMetrics({ usageQueueDepth: () => usage.depth() }, config.metrics);
  const watch = await createWatch({
    ...{ store, clock, logger, config, metrics, changes, keys: () => admin.keys },
    ...(options.retryDelay && { delay: options.retryDelay }),
  });

  const audit = createStoreAuditLog({ store, clock });
  const securityEvents = createSecurityEvents({ audit, alerts: watch.alerts, logger });
  const upstreamPolicy = createUpstreamPolicy({
    allowLinkLocal: config.proxy.allowLinkLocalUpstreams,
    allow: config.proxy.upstreamAllow,
    deny: config.proxy.upstreamDeny,
  });
  const counters = await openCounters(config, logger);
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
    leaks: createLeaksAdmin({
      store,
      clock,
      changes,
      logger,
      onLeak: async (event) => {
        await securityEvents.leaked(event);
        await options.onLeak?.(event);
      },
    }),
    alerts: watch.alerts,
  };
  const { githubPublicKeysFile } = config.leakReports;
  const githubLeakReports = createGithubLeakReports({
    leaks: admin.leaks,
    publicKeys: githubPublicKeysFile
      ? async () => parseGithubPublicKeys(JSON.parse(await readFile(githubPublicKeysFile, 'utf8')))
      : undefined,
  });

  let firstOwnerToken: string | undefined;
  if (markInitialised) {
    firstOwnerToken = (await admin.adminTokens.createOwner()).token;
    await markInitialised();
  }

  const secretEnv = options.secretEnv ?? process.env;
  const externalSecrets = createExternalSecrets(secretEnv);
  const secretRefs = createSecretRefResolver(secretEnv, clock, {
    read: externalSecrets.read,
    ...(options.secretCacheTtlMs !== undefined && { ttlMs: options.secretCacheTtlMs }),
    onError: (ref, error) =>
      logger.warn(
        { scheme: ref.scheme, err: error instanceof Error ? error.message : String(error) },
        'secret store unreachable; serving the last value read',
      ),
  });
  const providers = createProviderDirectory({
    store,
    envelope,
    secretRefs,
    changes,
    clock,
    onCredentialFailing: options.onCredentialFailing ?? securityEvents.credentialFailing,
    onStoreError: (error) => logger.error({ err: error }, 'could not store credential health'),
  });
  await providers.reload();

  const upstream = createUpstreamClient({
    headersTimeoutMs: config.proxy.upstreamHeadersTimeoutMs,
    bodyTimeoutMs: config.proxy.upstreamBodyTimeoutMs,
    policy: upstreamPolicy,
  });
  const unpriced = new Set<string>();
  const keyDirectory = createKeyDirectory({ store, changes, clock, ttlMs: cacheTtlMs });
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
    onBudgetThreshold: securityEvents.budgetThreshold,
    ancestors: (key) => keyDirectory.ancestors(key),
  });
  const pipeline = createProxyPipeline({
    keys: keyDirectory,
    providers,
    admit,
    upstream,
    openStreams: createOpenStreams({ store, changes }),
    ...(options.failover && { failover: options.failover }),
    usage: watch.meteredWriter(usage),
    clock,
    logger,
    prices,
    maxJsonDepth: config.http.proxyMaxJsonDepth,
    onRefused: (error, request) => watch.refused(error.code, request.headers),
  });

  const delegation = createKeyDelegation({
    store,
    clock,
    changes,
    carveLimits: createBudgetCarving({ store, limitUsage: limitUsageOf }),
  });
  const autoRotation = createAutoRotation({
    store,
    clock,
    keys: admin.keys,
    sinks: createSecretSinks({ secretRefs, vault: externalSecrets.vault }),
    logger,
    onRotationDue: securityEvents.rotationDue,
  });
  autoRotation.start(60_000);
  const inFlight = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;
  // One set of dashboard sessions, whichever listener serves the dashboard and the admin API.
  const dashboard = {
    sessions: createSessions({ clock, ttlMs: 12 * 3_600_000 }),
    files: loadDashboardFiles(),
  };
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
      isProviderName: (name) => !RESERVED_NAMES.has(name) && providers.byName(name) !== undefined,
      delegation: {
        async delegate(headers, clientIp, input) {
          const key = await authenticateKey(headers, keyDirectory, clock.now());
          authorizeKeyUse(key, clientIp, clock.now());
          const child = await delegation.delegate(key.record, input);
          await securityEvents.delegated(key.record, child, clientIp);
          return child;
        },
      },
      githubLeakReports,
      dashboard,
      proxy: {
        handle: refuseWhenUsageFull(
          config.databaseUrl ? persistUsageFirst(pipeline, usage) : pipeline,
          usage,
          (name) => providers.byName(name)?.adapter.dialect,
        ),
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
    await autoRotation.stop();
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
    clearInterval(cacheExpiry);
    await relayed?.close().catch(() => undefined);
    externalSecrets.close();
    await usage.close();
    await counters.close();
    watch.close();
    await watch.idle();
    await store.close();
  };

  return {
    config,
    admin,
    auditLog: audit,
    usage,
    metrics,
    autoRotation,
    watch,
    server,
    adminServer,
    firstOwnerToken,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

type ProxyHandle = (request: ProxyRequest) => Promise<ProxyReply>;

/** Other instances hear of changes through Redis when there is one, else through Postgres. */
async function openChangeRelay(
  config: Readonly<Config>,
  local: ChangeBus,
  logger: Logger,
): Promise<RelayedChangeBus | undefined> {
  // Loaded on demand: an embedded gateway never pays for the Redis and Postgres drivers.
  const transport = config.redisUrl
    ? (await import('./events/redis-change-transport.js')).redisChangeTransport(
        config.redisUrl,
        `${config.scaleOut.redisPrefix}changes`,
      )
    : config.databaseUrl
      ? (await import('./events/postgres-change-transport.js')).postgresChangeTransport(
          config.databaseUrl,
          'keywarden_changes',
        )
      : undefined;
  return transport && relayChanges(local, transport, logger);
}

/** Redis counters shared by every instance when REDIS_URL is set, else in-process ones. */
async function openCounters(config: Readonly<Config>, logger: Logger): Promise<Counters> {
  if (!config.redisUrl) return createMemoryCounters();
  const { openRedisCounters } = await import('./counters/redis/redis-counters.js');
  const { failOpenForRates } = await import('./counters/redis/unavailable-policy.js');
  let lastLog = 0;
  const counters = await openRedisCounters({
    url: config.redisUrl,
    prefix: config.scaleOut.redisPrefix,
    leaseMs: config.scaleOut.reservationLeaseMs,
    onUnavailable: (error) => {
      if (Date.now() - lastLog < 10_000) return;
      lastLog = Date.now();
      logger.error({ err: error }, 'Redis is unreachable: limits and budgets cannot be checked');
    },
  });
  return config.scaleOut.onCountersUnavailable === 'fail-open-rates'
    ? failOpenForRates(counters, logger)
    : counters;
}

/** How long an answer's end waits for its usage to be written before going out anyway. */
const USAGE_PERSIST_WAIT_MS = 2_000;

/**
 * With several instances any one may be killed: each answer's end waits (bounded) for its usage
 * event to be written, so no client holds a complete answer whose usage died with the instance.
 */
function persistUsageFirst(handle: ProxyHandle, usage: UsageWriter): ProxyHandle {
  const persisted = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, USAGE_PERSIST_WAIT_MS);
      usage.flush().then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        () => undefined,
      );
    });
  return async (request) => durableReply(await handle(request), persisted);
}

/** While usage cannot be recorded and the buffer is full, new requests wait outside (503), none goes unrecorded. */
function refuseWhenUsageFull(
  handle: ProxyHandle,
  usage: UsageWriter,
  dialectOf: (providerName: string) => Dialect | undefined,
): ProxyHandle {
  // Not async: a wrapper that awaits would add a promise and its ticks to every request.
  return (request) => {
    if (!usage.full()) return handle(request);
    return Promise.resolve({
      kind: 'refused',
      dialect: (request.providerName && dialectOf(request.providerName)) || 'openai',
      error: new GatewayError(
        'store_unavailable',
        'usage cannot be recorded right now (storage is unreachable); try again shortly',
      ),
    });
  };
}
