import { describe, expect, it } from 'vitest';
import { type AuditEntry, type AuditEvent, auditHash, sealAuditEntry } from './audit.js';
import { verifyAuditChain } from './audit-verify.js';

const event = (n: number): AuditEvent => ({
  action: 'key.updated',
  actor: { type: 'admin_token', id: 'adt_1', role: 'owner' },
  target: { type: 'key', id: `key_${n}` },
  change: { limits: { from: { rpm: n }, to: { rpm: n + 1 } } },
});

function chain(length: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let n = 1; n <= length; n++) {
    const last = entries[entries.length - 1];
    entries.push(sealAuditEntry(last, event(n), { id: `aud_${n}`, ts: 1_000 + n }));
  }
  return entries;
}

const headOf = (entries: AuditEntry[]) => {
  const last = entries[entries.length - 1];
  return last ? { seq: last.seq, hash: last.hash } : undefined;
};

describe('audit chain verification', () => {
  it('accepts an untouched log', () => {
    const entries = chain(5);
    expect(verifyAuditChain(entries, headOf(entries))).toEqual({ ok: true, entries: 5, problems: [] });
  });

  it('names an entry whose content was edited', () => {
    const entries = chain(5);
    const head = headOf(entries);
    entries[2] = { ...(entries[2] as AuditEntry), change: '{"limits":"none"}' };
    const result = verifyAuditChain(entries, head);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'edited', seq: 3 })]);
  });

  it('names the replaced entry when the editor re-hashed it', () => {
    const entries = chain(5);
    const head = headOf(entries);
    const forged = { ...(entries[2] as AuditEntry), actorId: 'adt_someone_else' };
    const { seq: _s, hash: _h, ...content } = forged;
    entries[2] = { ...forged, hash: auditHash(content) };
    const problems = verifyAuditChain(entries, head).problems;
    expect(problems).toEqual([expect.objectContaining({ kind: 'broken_link', seq: 4 })]);
    expect(problems[0]?.message).toContain('entry 3 was replaced');
  });

  it('names the gap a deleted entry leaves', () => {
    const entries = chain(5);
    const head = headOf(entries);
    entries.splice(1, 1);
    const problems = verifyAuditChain(entries, head).problems;
    expect(problems[0]).toMatchObject({ kind: 'missing', seq: 3 });
    expect(problems[0]?.message).toContain('entries 2..2 are missing');
  });

  it('notices a deletion even when the sequence numbers were closed up', () => {
    const entries = chain(5);
    const head = headOf(entries);
    entries.splice(1, 1);
    const renumbered = entries.map((e, i) => ({ ...e, seq: i + 1 }));
    const kinds = verifyAuditChain(renumbered, head).problems.map((p) => p.kind);
    expect(kinds).toEqual(['broken_link', 'truncated']);
  });

  it('names an inserted entry', () => {
    const entries = chain(5);
    const head = headOf(entries);
    const fake = sealAuditEntry(headOf(entries.slice(0, 2)), event(99), { id: 'aud_fake', ts: 1_002 });
    const tampered = [...entries.slice(0, 2), fake, ...entries.slice(2)].map((e, i) => ({
      ...e,
      seq: i + 1,
    }));
    const problems = verifyAuditChain(tampered, head).problems;
    expect(problems).toContainEqual(expect.objectContaining({ kind: 'inserted', id: 'aud_fake', seq: 3 }));
  });

  it('names entries that were reordered', () => {
    const entries = chain(5);
    const head = headOf(entries);
    const [a, b] = [entries[1] as AuditEntry, entries[2] as AuditEntry];
    entries[1] = { ...b, seq: 2 };
    entries[2] = { ...a, seq: 3 };
    const problems = verifyAuditChain(entries, head).problems;
    expect(problems.map((p) => p.kind)).toContain('reordered');
    expect(problems.every((p) => p.kind !== 'edited')).toBe(true);
  });

  it('notices that the end of the log was cut off', () => {
    const entries = chain(5);
    const head = headOf(entries);
    const problems = verifyAuditChain(entries.slice(0, 3), head).problems;
    expect(problems).toEqual([expect.objectContaining({ kind: 'truncated', seq: 3 })]);
  });

  it('never stores a secret handed to it by mistake', () => {
    const secret = `kw_${'a'.repeat(38)}`;
    const entry = sealAuditEntry(
      undefined,
      {
        ...event(1),
        change: { api_key: 'sk-live-123456789', note: `leaked ${secret}`, nested: { token: 'x' } },
      },
      { id: 'aud_1', ts: 1 },
    );
    expect(entry.change).not.toContain('sk-live');
    expect(entry.change).not.toContain(secret);
    expect(JSON.parse(entry.change)).toEqual({ nested: {}, note: 'leaked [redacted]' });
  });
});
