import { type AuditEntry, type AuditHead, auditHash, GENESIS_HASH } from './audit.js';

export type AuditProblemKind = 'edited' | 'missing' | 'inserted' | 'reordered' | 'truncated' | 'broken_link';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The entry where the chain breaks (its `seq` as stored), or null for the log as a whole. */
  seq: number | null;
  id: string | null;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  problems: AuditProblem[];
}

/**
 * Walks the log in stored order and names every place the chain breaks:
 * - an entry whose content no longer matches its own hash was edited;
 * - a gap in `seq`, or a link to a hash that exists nowhere, means entries were removed;
 * - an entry the next one skips over was inserted;
 * - a link to an entry stored elsewhere means entries were reordered;
 * - fewer entries than the recorded head means the end of the log was cut off.
 */
export function verifyAuditChain(
  entries: readonly AuditEntry[],
  head: AuditHead | undefined,
): AuditVerification {
  const problems: AuditProblem[] = [];
  const where = (e: AuditEntry) => ({ seq: e.seq, id: e.id });
  const positionOf = new Map<string, number>();
  entries.forEach((e, i) => {
    positionOf.set(e.hash, i);
  });

  entries.forEach((entry, i) => {
    const { hash, seq: _seq, ...content } = entry;
    if (auditHash(content) !== hash) {
      problems.push({
        kind: 'edited',
        ...where(entry),
        message: `entry ${entry.seq} (${entry.id}) was edited: its content does not match its hash`,
      });
    }
    const previous = entries[i - 1];
    if (previous && entry.seq !== previous.seq + 1) {
      const gap = entry.seq > previous.seq + 1;
      problems.push({
        kind: gap ? 'missing' : 'inserted',
        ...where(entry),
        message: gap
          ? `entries ${previous.seq + 1}..${entry.seq - 1} are missing (deleted) before entry ${entry.seq}`
          : `entry ${entry.seq} (${entry.id}) repeats or precedes sequence number ${previous.seq}: an entry was inserted`,
      });
    }
    const expected = previous?.hash ?? GENESIS_HASH;
    if (entry.prevHash === expected) return;
    const linked = positionOf.get(entry.prevHash);
    const beforePrevious = entries[i - 2];
    if (previous && beforePrevious && entry.prevHash === beforePrevious.hash) {
      problems.push({
        kind: 'inserted',
        ...where(previous),
        message: `entry ${previous.seq} (${previous.id}) was inserted: entry ${entry.seq} links past it to entry ${beforePrevious.seq}`,
      });
    } else if (linked !== undefined) {
      const target = entries[linked];
      problems.push({
        kind: 'reordered',
        ...where(entry),
        message: `entry ${entry.seq} (${entry.id}) is out of order: it follows entry ${target?.seq} in the chain`,
      });
    } else if (!previous && entry.prevHash !== GENESIS_HASH) {
      problems.push({
        kind: 'missing',
        ...where(entry),
        message: `the log starts at entry ${entry.seq}, which links to an entry that is gone: the beginning was deleted`,
      });
    } else if (entry.seq === (previous?.seq ?? 0) + 1) {
      problems.push({
        kind: 'broken_link',
        ...where(entry),
        message: `entry ${entry.seq} (${entry.id}) does not link to entry ${previous?.seq}: an entry between them was deleted, or entry ${previous?.seq} was replaced`,
      });
    }
  });

  const last = entries[entries.length - 1];
  if (head && (!last || last.seq < head.seq || (last.seq === head.seq && last.hash !== head.hash))) {
    problems.push({
      kind: 'truncated',
      seq: last?.seq ?? null,
      id: last?.id ?? null,
      message: `the log ends at entry ${last?.seq ?? 0}, but entry ${head.seq} was the last one written: the end was deleted or replaced`,
    });
  } else if (head && last && last.seq > head.seq) {
    problems.push({
      kind: 'inserted',
      ...where(last),
      message: `entries after ${head.seq} (the last one written) were added outside keywarden`,
    });
  }
  return { ok: problems.length === 0, entries: entries.length, problems };
}
