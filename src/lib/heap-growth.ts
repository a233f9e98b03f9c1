import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full collection before it
 * collects again, in percent. By default V8 picks a factor of up to 4x: under steady load (objects
 * that outlive two young-generation collections and then die) the gateway's resident memory
 * climbed to ~250 MB between full collections, with ~30 MB live. At 50%
 * it peaks near 170 MB; the extra full collections (a few ms every few seconds) did not show in
 * CPU per request.
 */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Bounds the heap's growth for a long-running server, unless the operator chose a value already
 * (`node --heap-growing-percent=... bin/keywarden.js serve`; Node refuses the flag in NODE_OPTIONS).
 * Returns the flag it set, if any.
 */
export function boundHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): string | undefined {
  if (execArgv.some((arg) => FLAG.test(arg))) return undefined;
  const flag = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
  setFlags(flag);
  return flag;
}
