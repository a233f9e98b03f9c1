import { describe, expect, it } from 'vitest';
import { sealAuditEntry } from '../domain/audit.js';
import { verifyAuditChain } from '../domain/audit-verify.js';
import type { Store } from './store.js';

/** The audit log part of the store contract: appends chain, never fork, and filter. */
export function describeAuditLog(get: () => Store): void {
  describe('audit log', () => {
    const append = (n: number, projectId: string | null = null) =>
      get().appendAudit((head) =>
        sealAuditEntry(
          head,
          {
            action: 'key.created',
            actor: { type: 'admin_token', id: `adt_${n % 2}` },
            target: { type: 'key', id: `key_${n}` },
            projectId,
          },
          { id: `aud_${n}`, ts: 1_000 + n },
        ),
      );

    it('chains each entry to the one before and records the head', async () => {
      const first = await append(1);
      const second = await append(2);
      expect(first.seq).toBe(1);
      expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
      expect(await get().auditHead()).toEqual({ seq: 2, hash: second.hash });
      expect(await get().listAudit({ limit: 10 })).toEqual([first, second]);
    });

    it('never forks the chain under parallel appends', async () => {
      await Promise.all(Array.from({ length: 40 }, (_, i) => append(i + 1)));
      const entries = await get().listAudit({ limit: 100 });
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(verifyAuditChain(entries, await get().auditHead()).ok).toBe(true);
    });

    it('filters by actor, target, project, time and cursor', async () => {
      for (let n = 1; n <= 6; n++) await append(n, n <= 3 ? 'prj_a' : 'prj_b');
      const store = get();
      expect((await store.listAudit({ limit: 10, actorId: 'adt_1' })).map((e) => e.id)).toEqual([
        'aud_1',
        'aud_3',
        'aud_5',
      ]);
      expect((await store.listAudit({ limit: 10, targetId: 'key_4' })).map((e) => e.id)).toEqual(['aud_4']);
      expect((await store.listAudit({ limit: 10, projectIds: ['prj_b'] })).length).toBe(3);
      expect(await store.listAudit({ limit: 10, projectIds: [] })).toEqual([]);
      expect((await store.listAudit({ limit: 10, from: 1_002, to: 1_004 })).map((e) => e.seq)).toEqual([
        2, 3,
      ]);
      expect((await store.listAudit({ limit: 2, afterSeq: 4 })).map((e) => e.seq)).toEqual([5, 6]);
    });
  });
}
