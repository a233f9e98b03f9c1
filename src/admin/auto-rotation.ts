import { effectiveKeyStatus, type KeyRecord } from '../domain/records.js';
import { DEFAULT_GRACE_SECONDS, rotationStatus } from '../domain/rotation.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/store.js';
import type { KeysAdmin } from './keys-admin.js';
import type { SecretSinks } from './rotation-sinks.js';

/**
 * Rotates keys whose policy (their own, else their project's) is past `max_age` and asks for
 * `auto_rotate`: the new secret goes to the policy's sink first, and only once the sink has it
 * does it replace the old one (which then keeps working for the policy's grace period).
 */
export function createAutoRotation(deps: {
  store: Store;
  clock: Clock;
  keys: KeysAdmin;
  sinks: SecretSinks;
  logger: Logger;
  /** Told once per secret that is past its policy's `max_age` and not rotated automatically. */
  onRotationDue?: (key: KeyRecord, dueAt: number) => void;
}) {
  const { store, clock, keys, sinks, logger } = deps;
  const announced = new Set<string>();
  const due = (key: KeyRecord, dueAt: number | null) => {
    const id = `${key.id}:${dueAt}`;
    if (dueAt === null || announced.has(id)) return;
    announced.add(id);
    deps.onRotationDue?.(key, dueAt);
  };
  let running: Promise<{ rotated: string[]; failed: string[] }> | undefined;

  const sweep = async () => {
    const rotated: string[] = [];
    const failed: string[] = [];
    const projects = new Map((await store.listProjects()).map((p) => [p.id, p]));
    for (const key of await store.listKeys({})) {
      const now = clock.now();
      if (effectiveKeyStatus(key, now) !== 'active') continue;
      const status = rotationStatus(key, projects.get(key.projectId), now);
      const sink = status.policy?.sink;
      if (!status.overdue) continue;
      if (!status.policy?.auto_rotate || !sink) {
        due(key, status.dueAt);
        continue;
      }
      try {
        await keys.rotateKey(key, status.policy.grace_seconds ?? DEFAULT_GRACE_SECONDS, (secret, at, until) =>
          sinks.deliver(sink, {
            key_id: key.id,
            key_name: key.name,
            project_id: key.projectId,
            key: secret,
            rotated_at: new Date(at).toISOString(),
            previous_secret_valid_until: new Date(until).toISOString(),
          }),
        );
        rotated.push(key.id);
        logger.info({ key_id: key.id, sink: sink.type }, 'key rotated by its rotation policy');
      } catch (error) {
        failed.push(key.id);
        due(key, status.dueAt);
        logger.warn(
          { key_id: key.id, sink: sink.type, err: error instanceof Error ? error.message : String(error) },
          'automatic rotation failed; the current secret stays in force',
        );
      }
    }
    return { rotated, failed };
  };

  let timer: NodeJS.Timeout | undefined;
  return {
    /** One pass over every key; concurrent calls share the pass in progress. */
    runOnce() {
      running ??= sweep().finally(() => {
        running = undefined;
      });
      return running;
    },
    start(intervalMs: number) {
      timer ??= setInterval(() => void this.runOnce().catch(() => undefined), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}

export type AutoRotation = ReturnType<typeof createAutoRotation>;
