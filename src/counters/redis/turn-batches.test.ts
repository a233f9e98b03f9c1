import { describe, expect, it } from 'vitest';
import { batchPerTurn, type Settled } from './turn-batches.js';

interface Op {
  group: string;
  n: number;
}

/** A batcher whose `send` records each batch and answers with `answer` (by default n * 10). */
function recording(answer?: (ops: Op[]) => Promise<Settled<number>[]>, maxBatch?: number) {
  const batches: Op[][] = [];
  const submit = batchPerTurn<Op, number>({
    groupOf: (op) => op.group,
    send: async (ops) => {
      batches.push(ops);
      return answer ? answer(ops) : ops.map((op) => ({ ok: true, value: op.n * 10 }));
    },
    ...(maxBatch === undefined ? {} : { maxBatch }),
  });
  return { submit, batches };
}

describe('batchPerTurn', () => {
  it('sends the operations of one turn together, per group and in order, and answers each its own', async () => {
    const { submit, batches } = recording();
    const answers = await Promise.all([
      submit({ group: 'a', n: 1 }),
      submit({ group: 'b', n: 2 }),
      submit({ group: 'a', n: 3 }),
    ]);
    expect(answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([
      [
        { group: 'a', n: 1 },
        { group: 'a', n: 3 },
      ],
      [{ group: 'b', n: 2 }],
    ]);
  });

  it('sends nothing before the turn ends, and a later turn in a batch of its own', async () => {
    const { submit, batches } = recording();
    const first = submit({ group: 'a', n: 1 });
    expect(batches).toEqual([]);
    await first;
    await submit({ group: 'a', n: 2 });
    expect(batches).toEqual([[{ group: 'a', n: 1 }], [{ group: 'a', n: 2 }]]);
  });

  it('fails only the operations whose own outcome failed', async () => {
    const { submit } = recording(async (ops) =>
      ops.map((op) =>
        op.n === 2 ? { ok: false, error: new Error('wrong type') } : { ok: true, value: op.n },
      ),
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => submit({ group: 'a', n })));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'wrong type' });
  });

  it('fails every operation of a batch that could not be sent, and only that batch', async () => {
    const { submit } = recording(async (ops) => {
      if (ops[0]?.group === 'down') throw new Error('unreachable');
      return ops.map((op) => ({ ok: true, value: op.n }));
    });
    const outcomes = await Promise.allSettled([
      submit({ group: 'down', n: 1 }),
      submit({ group: 'up', n: 2 }),
      submit({ group: 'down', n: 3 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
  });

  it('fails the batch when the answers do not match the operations one to one', async () => {
    const { submit } = recording(async () => [{ ok: true, value: 1 }]);
    const outcomes = await Promise.allSettled([submit({ group: 'a', n: 1 }), submit({ group: 'a', n: 2 })]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('splits a group larger than the batch limit, keeping the order', async () => {
    const { submit, batches } = recording(undefined, 2);
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => submit({ group: 'a', n })));
    expect(answers).toEqual([10, 20, 30, 40, 50]);
    expect(batches.map((b) => b.map((op) => op.n))).toEqual([[1, 2], [3, 4], [5]]);
  });
});
