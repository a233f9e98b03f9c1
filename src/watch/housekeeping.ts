import type { AlertPort } from '../admin/alerts.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/store.js';

const DAY = 86_400_000;

export interface HousekeepingDeps {
  store: Store;
  alerts: AlertPort;
  clock: Clock;
  logger: Logger;
  expiryWarningHours: number;
  /** Raw usage older than this is pruned; undefined keeps it all. */
  retentionDays: number | undefined;
}

/** Periodic chores: alerts for keys about to expire, and raw-usage retention. */
export function createHousekeeping(deps: HousekeepingDeps) {
  const warnExpiring = async () => {
    const now = deps.clock.now();
    const horizon = now + deps.expiryWarningHours * 3_600_000;
    for (const key of await deps.store.listKeys({})) {
      if (key.status !== 'active' || key.expiresAt === null) continue;
      if (key.expiresAt <= now || key.expiresAt > horizon) continue;
      await deps.alerts.raise({
        type: 'key_expiring',
        severity: 'info',
        message: `key ${key.name} (${key.displayPrefix}…) expires at ${new Date(key.expiresAt).toISOString()}`,
        keyId: key.id,
        projectId: key.projectId,
        details: { expires_at: new Date(key.expiresAt).toISOString(), prefix: key.displayPrefix },
        dedupeKey: `expiring:${key.id}:${key.expiresAt}`,
      });
    }
  };

  const prune = async () => {
    if (deps.retentionDays === undefined) return 0;
    return deps.store.pruneUsage(deps.clock.now() - deps.retentionDays * DAY);
  };

  return {
    warnExpiring,
    prune,
    /** One round of every chore; failures are logged, never thrown. */
    async run(): Promise<void> {
      try {
        await warnExpiring();
        const pruned = await prune();
        if (pruned > 0) deps.logger.info({ pruned }, 'pruned raw usage events past retention');
      } catch (error) {
        deps.logger.warn({ err: error }, 'housekeeping failed; will retry');
      }
    },
  };
}
