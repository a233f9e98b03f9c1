import { describe, expect, it } from 'vitest';
import { boundHeapGrowth, HEAP_GROWING_PERCENT } from './heap-growth.js';

describe('boundHeapGrowth', () => {
  const run = (execArgv: string[]) => {
    const set: string[] = [];
    const flag = boundHeapGrowth(execArgv, (flags) => set.push(flags));
    return { flag, set };
  };

  it('sets the heap growth when the operator did not', () => {
    const expected = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
    expect(run(['--enable-source-maps', '--max-old-space-size=512'])).toEqual({
      flag: expected,
      set: [expected],
    });
  });

  it("leaves the operator's choice on node's command line alone, in either spelling", () => {
    expect(run(['--heap-growing-percent=200'])).toEqual({ flag: undefined, set: [] });
    expect(run(['--max-old-space-size=512', '--heap_growing_percent=10'])).toEqual({
      flag: undefined,
      set: [],
    });
  });
});
