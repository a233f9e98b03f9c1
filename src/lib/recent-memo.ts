/**
 * `compute` with its results kept for the last inputs seen (up to `max` distinct ones, then forgotten
 * all at once). For pure functions of values that repeat from request to request: a client's
 * address, a path, a header value. A call that throws keeps nothing.
 */
export function rememberRecent<R>(compute: (input: string) => R, max = 1024): (input: string) => R {
  const seen = new Map<string, R>();
  return (input) => {
    let result = seen.get(input);
    if (result === undefined) {
      result = compute(input);
      if (seen.size >= max) seen.clear();
      seen.set(input, result);
    }
    return result;
  };
}
