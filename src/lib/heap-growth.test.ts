import { describe, expect, it } from 'vitest';
import { boundHeapGrowth, HEAP_GROWING_PERCENT } from './heap-growth.js';

describe('boundHeapGrowth', () => {
  const run = (execArgv: string[], nodeOptions?: string) => {
    const set: string[] = [];
    const flag = boundHeapGrowth({ execArgv, nodeOptions }, (flags) => set.push(flags));
    return { flag, set };
  };

  it('sets the heap growth when the operator did not', () => {
    expect(run(['--enable-source-maps'], '--max-old-space-size=512')).toEqual({
      flag: `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
      set: [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`],
    });
  });

  it("leaves the operator's choice alone, on the command line or in NODE_OPTIONS", () => {
    expect(run(['--heap-growing-percent=200'])).toEqual({ flag: undefined, set: [] });
    expect(run([], '--max-old-space-size=512 --heap_growing_percent=10')).toEqual({
      flag: undefined,
      set: [],
    });
  });
});
