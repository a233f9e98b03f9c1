import type { AuditEntry, AuditFilter } from '../domain/audit.js';
import { type AuditVerification, verifyAuditChain } from '../domain/audit-verify.js';
import { GatewayError, invalidField } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import type { Actor } from './actor.js';
import { parseTimestamp } from './field-rules.js';
import type { ProjectsAdmin } from './projects-admin.js';

export interface AuditQueryInput {
  actor?: string;
  action?: string;
  target?: string;
  project?: string;
  from?: string;
  to?: string;
  /** The `next_cursor` of the previous page. */
  after?: string;
  /** 1 to 1000, as query text; default 100. */
  limit?: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const VERIFY_PAGE = 5000;

/** One entry as the API and the JSONL export show it. `ts` (ms) and `change` are what was hashed. */
export function auditEntryView(e: AuditEntry) {
  return {
    seq: e.seq,
    id: e.id,
    ts: e.ts,
    time: new Date(e.ts).toISOString(),
    action: e.action,
    actor: { type: e.actorType, id: e.actorId, role: e.actorRole },
    target: e.targetType === null ? null : { type: e.targetType, id: e.targetId },
    project_id: e.projectId,
    request_id: e.requestId,
    client_ip: e.clientIp,
    change: JSON.parse(e.change) as unknown,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

/** Reading the audit trail: filtered pages, and the chain check. */
export function createAuditAdmin({ store, projects }: { store: Store; projects: ProjectsAdmin }) {
  const filterFor = async (actor: Actor, input: AuditQueryInput): Promise<AuditFilter> => {
    const limit =
      input.limit === undefined ? DEFAULT_LIMIT : /^\d{1,4}$/.test(input.limit) ? Number(input.limit) : 0;
    if (limit < 1 || limit > MAX_LIMIT) {
      throw invalidField('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
    }
    const filter: AuditFilter = { limit };
    if (input.after !== undefined) {
      if (!/^\d{1,15}$/.test(input.after)) throw invalidField('after', 'must be a cursor from next_cursor');
      filter.afterSeq = Number(input.after);
    }
    if (input.actor !== undefined) filter.actorId = input.actor;
    if (input.action !== undefined) filter.action = input.action;
    if (input.target !== undefined) filter.targetId = input.target;
    const from = parseTimestamp('from', input.from);
    const to = parseTimestamp('to', input.to);
    if (typeof from === 'number') filter.from = from;
    if (typeof to === 'number') filter.to = to;
    if (input.project !== undefined) filter.projectIds = [(await projects.visible(actor, input.project)).id];
    else if (actor.role === 'project-admin') filter.projectIds = actor.projectIds;
    return filter;
  };

  return {
    async list(actor: Actor, input: AuditQueryInput) {
      const filter = await filterFor(actor, input);
      const entries = await store.listAudit(filter);
      const last = entries[entries.length - 1];
      return {
        data: entries.map(auditEntryView),
        next_cursor: entries.length === filter.limit && last ? String(last.seq) : null,
      };
    },

    /** The whole chain, checked; only for tokens that may read the whole trail. */
    async verify(actor: Actor): Promise<AuditVerification & { head: { seq: number; hash: string } | null }> {
      if (actor.role === 'project-admin') {
        throw new GatewayError(
          'forbidden',
          'only owner, admin and viewer tokens can verify the whole audit log',
        );
      }
      const entries: AuditEntry[] = [];
      for (let afterSeq: number | undefined; ; ) {
        const page = await store.listAudit({
          limit: VERIFY_PAGE,
          ...(afterSeq !== undefined && { afterSeq }),
        });
        entries.push(...page);
        const last = page[page.length - 1];
        if (page.length < VERIFY_PAGE || !last) break;
        afterSeq = last.seq;
      }
      const head = await store.auditHead();
      return { ...verifyAuditChain(entries, head), head: head ?? null };
    },
  };
}

export type AuditAdmin = ReturnType<typeof createAuditAdmin>;
