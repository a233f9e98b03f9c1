import type { IncomingHttpHeaders } from 'node:http';
import type { Actor } from '../admin/actor.js';
import { createAlertsAdmin } from '../admin/alerts.js';
import { createAlertDelivery } from '../admin/alerts-delivery.js';
import type { KeysAdmin } from '../admin/keys-admin.js';
import type { Config } from '../config/config.js';
import type { AlertType } from '../domain/alerts.js';
import { displayPrefixOf } from '../domain/key-format.js';
import type { UsageEvent } from '../domain/usage.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { UsageWriter } from '../proxy/meter/usage-writer.js';
import type { Store } from '../store/store.js';
import { createHousekeeping } from './housekeeping.js';
import { createUsageWatcher } from './usage-watcher.js';

/** The watcher acts as this actor when its policy suspends a key. */
const WATCHER: Actor = { tokenId: 'system:watch', role: 'owner', projectIds: [] };
const HOUSEKEEPING_EVERY_MS = 10 * 60_000;

export interface WatchDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: Readonly<Config>;
  metrics: Metrics;
  changes: ChangeBus;
  /** Late-bound: the keys admin is built after the alert port it may raise through. */
  keys: () => KeysAdmin;
  /** Waits between webhook retries; tests pass one that returns at once. */
  delay?: (ms: number) => Promise<void>;
}

/**
 * Wires monitoring: the alert port with webhook delivery, the live usage watcher fed from the
 * metered stream, Prometheus request metrics, and periodic housekeeping (expiry alerts, retention).
 */
export async function createWatch(deps: WatchDeps) {
  const { store, clock, logger, config, metrics } = deps;
  const delivery = createAlertDelivery({
    store,
    clock,
    logger,
    targets: config.alerts.webhooks.map((w) => ({ ...w, events: w.events as AlertType[] | undefined })),
    maxAttempts: config.alerts.maxAttempts,
    baseDelayMs: config.alerts.retryBaseMs,
    ...(deps.delay && { delay: deps.delay }),
  });
  const alerts = createAlertsAdmin({
    store,
    clock,
    dedupeWindowMs: config.alerts.dedupeMinutes * 60_000,
    deliver: (alert) => {
      metrics.alertsRaised.inc({ type: alert.type });
      logger.warn({ alert: alert.id, type: alert.type, key: alert.keyId }, alert.message);
      delivery.deliver(alert);
    },
  });
  const watcher = createUsageWatcher({
    config: config.watch,
    alerts,
    logger,
    saveSightings: (sightings) => store.insertSightings(sightings),
    suspendKey: async (keyId) => {
      await deps.keys().transition(WATCHER, keyId, 'suspend');
    },
  });
  watcher.load(await store.listSightings());

  const projectNames = new Map<string, string>();
  const loadProjects = async () => {
    for (const p of await store.listProjects()) projectNames.set(p.id, p.name);
  };
  await loadProjects();
  deps.changes.subscribe((change) => (change.kind === 'project' ? loadProjects() : undefined));

  const housekeeping = createHousekeeping({
    store,
    alerts,
    clock,
    logger,
    expiryWarningHours: config.watch.expiryWarningHours,
    retentionDays: config.usage.retentionDays,
  });
  const timer = setInterval(() => void housekeeping.run(), HOUSEKEEPING_EVERY_MS);
  timer.unref();
  void housekeeping.run();

  const pending = new Set<Promise<void>>();
  const track = (job: Promise<void>) => {
    pending.add(job);
    void job.finally(() => pending.delete(job));
  };

  /** Metrics are labelled by project name; a project created since the last load is looked up first. */
  const observeMetrics = (event: UsageEvent) => {
    const name = projectNames.get(event.projectId);
    if (name !== undefined) {
      metrics.observeUsage(event, name);
      return;
    }
    track(
      loadProjects()
        .catch(() => undefined)
        .then(() => metrics.observeUsage(event, projectNames.get(event.projectId) ?? event.projectId)),
    );
  };

  return {
    alerts,
    delivery,
    watcher,
    housekeeping,
    /** The usage writer as the meter sees it: every event is also counted and watched. */
    meteredWriter(writer: UsageWriter): UsageWriter {
      return {
        ...writer,
        record(event: UsageEvent) {
          writer.record(event);
          observeMetrics(event);
          const alerting = watcher.observe(event);
          if (alerting)
            track(alerting.catch((error) => logger.error({ err: error }, 'usage watcher failed')));
        },
      };
    },
    /** Counts a refused proxy request and feeds bad-key attempts to the watcher. */
    refused(code: string, headers: IncomingHttpHeaders): void {
      metrics.refusals.inc({ reason: code });
      track(watcher.observeRefusal(code, presentedPrefix(headers), clock.now()));
    },
    /** Resolves when the watcher and webhook deliveries started so far are done (tests, shutdown). */
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all(pending);
      await delivery.idle();
    },
    close(): void {
      clearInterval(timer);
    },
  };
}

export type Watch = Awaited<ReturnType<typeof createWatch>>;

/** The display prefix of the keywarden key a refused request presented, if it looks like one. */
function presentedPrefix(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  const apiKey = headers['x-api-key'];
  const presented = bearer ?? (typeof apiKey === 'string' ? apiKey : undefined);
  return presented?.startsWith('kw_') ? displayPrefixOf(presented, 'key') : undefined;
}
