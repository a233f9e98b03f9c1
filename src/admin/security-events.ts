import type { KeyRecord } from '../domain/records.js';
import type { Logger } from '../lib/logger.js';
import type { BudgetThresholdEvent } from '../proxy/admit/admit-request.js';
import type { CredentialFailingListener } from '../proxy/upstream/provider-directory.js';
import type { AlertPort } from './alerts.js';
import type { AuditLog } from './audit-log.js';
import type { DelegatedKey } from './key-delegation.js';
import type { LeakEvent } from './leaks-admin.js';

/**
 * Where security events from the data plane and the leak defences become audit entries and alerts.
 * Each handler records what it can and logs what it could not: a failed alert never fails a request.
 */
export function createSecurityEvents({
  audit,
  alerts,
  logger,
}: {
  audit: AuditLog;
  alerts: AlertPort;
  logger: Logger;
}) {
  const failed = (what: string) => (error: unknown) =>
    logger.error({ err: error }, `could not record ${what}`);

  return {
    /** A known key or admin token reported leaked (scanner, GitHub partner report) and revoked. */
    async leaked(event: LeakEvent): Promise<void> {
      const where = event.location ? ` at ${event.location}` : '';
      await Promise.all([
        audit
          .append({
            action: 'key.leak_revoked',
            actor: { type: 'system', id: event.source },
            target: { type: event.kind, id: event.id },
            projectId: event.projectId,
            change: {
              source: event.source,
              location: event.location,
              reason: event.reason,
              outcome: event.outcome,
            },
          })
          .catch(failed('a leak revocation in the audit log')),
        alerts
          .raise({
            type: 'leak_detected',
            severity: 'critical',
            message: `${event.kind === 'key' ? 'key' : 'admin token'} ${event.name} was reported leaked by ${event.source}${where}; ${event.outcome === 'revoked' ? 'it is now revoked' : 'it was already revoked'}`,
            keyId: event.kind === 'key' ? event.id : null,
            projectId: event.projectId,
            details: { source: event.source, location: event.location, outcome: event.outcome },
            dedupeKey: `leak:${event.id}`,
          })
          .catch(failed('a leak alert')),
      ]);
    },

    /** Spend crossed one of a budget's alert thresholds. */
    budgetThreshold(event: BudgetThresholdEvent): void {
      const owner = event.scope === 'key' ? 'key' : 'project';
      alerts
        .raise({
          type: 'budget_threshold',
          severity: event.percent >= 100 ? 'critical' : 'warning',
          message: `${owner} ${event.subjectId} has used ${event.percent}% of its ${event.soft ? 'soft' : 'hard'} $${event.limitUsd} per-${event.period} budget ($${event.usedUsd.toFixed(4)})`,
          keyId: event.scope === 'key' ? event.subjectId : null,
          projectId: event.scope === 'project' ? event.subjectId : null,
          details: { ...event, resetsAt: new Date(event.resetsAt).toISOString() },
          dedupeKey: `budget:${event.scope}:${event.subjectId}:${event.period}:${event.percent}:${event.resetsAt}`,
        })
        .catch(failed('a budget alert'));
    },

    /** A provider refused one of keywarden's credentials; traffic has moved to the others. */
    credentialFailing: ((event) => {
      logger.warn(event, 'provider credential refused by the upstream; marked failing');
      alerts
        .raise({
          type: 'credential_failing',
          severity: 'critical',
          message: `provider ${event.providerName} refused credential ${event.fingerprint}: ${event.reason}`,
          details: { ...event },
          dedupeKey: `credential:${event.credentialId}`,
        })
        .catch(failed('a credential alert'));
    }) satisfies CredentialFailingListener,

    /** A key's secret is older than its rotation policy allows. */
    rotationDue(key: KeyRecord, dueAt: number): void {
      alerts
        .raise({
          type: 'rotation_due',
          severity: 'warning',
          message: `key ${key.name} should have been rotated by ${new Date(dueAt).toISOString()} (its rotation policy's max age)`,
          keyId: key.id,
          projectId: key.projectId,
          details: { due_at: new Date(dueAt).toISOString() },
          dedupeKey: `rotation_due:${key.id}:${dueAt}`,
        })
        .catch(failed('a rotation-due alert'));
    },

    /** An agent key minted a child key: the chain is part of the audit trail. */
    async delegated(parent: KeyRecord, child: DelegatedKey, clientIp: string): Promise<void> {
      await audit
        .append({
          action: 'key.delegated',
          actor: { type: 'key', id: parent.id },
          target: { type: 'key', id: child.id },
          projectId: parent.projectId,
          clientIp,
          change: {
            name: child.name,
            parent_id: child.parent_id,
            depth: child.depth,
            expires_at: child.expires_at,
            scopes: child.scopes,
            limits: child.limits,
          },
        })
        .catch(failed('a delegation in the audit log'));
    },
  };
}
