import { type AuditEntry, sealAuditEntry } from '../domain/audit.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';

/**
 * The audit log kept in the store. Appends from this process are queued one after another, and the
 * store reads the head and inserts in one transaction, so the chain never forks; hashing happens
 * only in `sealAuditEntry`.
 */
export function createStoreAuditLog({ store, clock }: { store: Store; clock: Clock }): AuditLog {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    append(event) {
      const appended: Promise<AuditEntry> = tail.then(() =>
        store.appendAudit((head) => sealAuditEntry(head, event, { id: newId('aud'), ts: clock.now() })),
      );
      tail = appended.catch(() => undefined);
      return appended;
    },
  };
}
