/**
 * Patterns used in scopes: `*` matches any run of characters, everything else is literal.
 * Compiled once per key so the hot path only runs a prepared test.
 */
export type Matcher = (value: string) => boolean;

const ANY: Matcher = () => true;

export function compileGlobs(patterns: readonly string[] | null | undefined): Matcher {
  if (!patterns) return ANY;
  if (patterns.includes('*')) return ANY;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wild = patterns.filter((p) => p.includes('*')).map(globToRegExp);
  if (wild.length === 0) return (value) => exact.has(value);
  return (value) => exact.has(value) || wild.some((re) => re.test(value));
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
