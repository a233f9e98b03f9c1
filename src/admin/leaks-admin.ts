import { invalidField } from '../domain/errors.js';
import type { ChangeBus } from '../events/change-bus.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/store.js';

/** A secret reported as exposed: only its SHA-256, never the secret. */
export interface LeakReport {
  /** Lower-case hex SHA-256 of the secret. */
  secretHash: string;
  /** Where it was seen (`src/app.ts:12`, a GitHub URL); free text, may be empty. */
  location: string | null;
}

export type LeakOutcome = 'revoked' | 'already_revoked' | 'unknown';

export interface LeakResult {
  secretHash: string;
  outcome: LeakOutcome;
  kind: 'key' | 'admin_token' | null;
  id: string | null;
  location: string | null;
  /** Why the key was revoked, as recorded: the source and the place. */
  reason: string | null;
}

/**
 * What happened to one leaked secret that keywarden knew. The composition root decides who hears
 * about it (the log by default; audit and alerts when wired).
 */
export interface LeakEvent {
  kind: 'key' | 'admin_token';
  id: string;
  name: string;
  projectId: string | null;
  /** `github-secret-scanning`, `keywarden scan`, ... */
  source: string;
  location: string | null;
  reason: string;
  outcome: 'revoked' | 'already_revoked';
  at: number;
}

export interface LeaksAdminDeps {
  store: Store;
  clock: Clock;
  changes: ChangeBus;
  /** Told about every known secret reported leaked; defaults to a warning in `logger`. */
  onLeak?: (event: LeakEvent) => void | Promise<void>;
  logger?: Logger;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Revoke-on-leak: exposed keys and admin tokens are looked up by hash and revoked at once. */
export function createLeaksAdmin({ store, clock, changes, onLeak, logger }: LeaksAdminDeps) {
  // Every leak is logged, then handed on (to the audit log and the alerts when wired).
  const notify = async (event: LeakEvent) => {
    logger?.warn(
      { leak: { kind: event.kind, id: event.id, source: event.source, location: event.location } },
      `${event.kind === 'key' ? 'key' : 'admin token'} ${event.id} ${
        event.outcome === 'revoked' ? 'revoked' : 'reported again'
      }: ${event.reason}`,
    );
    await onLeak?.(event);
  };

  const revokeOne = async (report: LeakReport, source: string): Promise<LeakResult> => {
    const reason = `leaked: reported by ${source}${report.location ? ` at ${report.location}` : ''}`;
    const base = { secretHash: report.secretHash, location: report.location };
    const key = await store.findKeyByHash(report.secretHash);
    if (key) {
      const outcome = key.status === 'revoked' ? 'already_revoked' : 'revoked';
      if (outcome === 'revoked') {
        await store.updateKey(key.id, { status: 'revoked', updatedAt: clock.now() });
        await changes.publish({ kind: 'key', keyId: key.id, secretHash: key.secretHash });
      }
      await notify({
        kind: 'key',
        id: key.id,
        name: key.name,
        projectId: key.projectId,
        source,
        location: report.location,
        reason,
        outcome,
        at: clock.now(),
      });
      return { ...base, outcome, kind: 'key', id: key.id, reason };
    }
    const token = await store.findAdminTokenByHash(report.secretHash);
    if (token) {
      const outcome = token.revokedAt === null ? 'revoked' : 'already_revoked';
      if (outcome === 'revoked') await store.revokeAdminToken(token.id, clock.now());
      await notify({
        kind: 'admin_token',
        id: token.id,
        name: token.name,
        projectId: null,
        source,
        location: report.location,
        reason,
        outcome,
        at: clock.now(),
      });
      return { ...base, outcome, kind: 'admin_token', id: token.id, reason };
    }
    return { ...base, outcome: 'unknown', kind: null, id: null, reason: null };
  };

  return {
    /**
     * Revokes every live key or admin token among `reports` (by secret hash) and tells `onLeak`
     * about each known one, with the reason: who reported it and where it was seen.
     */
    async revokeLeaked(reports: readonly LeakReport[], source: string): Promise<LeakResult[]> {
      reports.forEach((report, i) => {
        if (!SHA256_HEX.test(report.secretHash))
          throw invalidField(`reports[${i}].token_hash`, 'must be a lower-case hex SHA-256');
      });
      const results: LeakResult[] = [];
      for (const report of reports) results.push(await revokeOne(report, source));
      return results;
    },
  };
}

export type LeaksAdmin = ReturnType<typeof createLeaksAdmin>;
