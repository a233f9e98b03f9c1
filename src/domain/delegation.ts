import type { Scopes } from './records.js';

/** How many levels of agents may hand keys to sub-agents below an operator-made key. */
export const MAX_DELEGATION_DEPTH = 3;

/**
 * Whether every value `child` matches is also matched by `parent` (scope patterns: `*` is any run
 * of characters). Conservative: a pattern the check cannot prove narrower is refused.
 */
export function patternWithin(child: string, parent: string): boolean {
  if (parent === '*' || parent === child) return true;
  const star = parent.indexOf('*');
  if (star === -1) return false;
  // One trailing star ("gpt-4o*"): anything starting with the prefix is inside.
  if (star === parent.length - 1) return child.startsWith(parent.slice(0, -1));
  // Stars elsewhere: only a literal child can be checked exactly.
  if (child.includes('*')) return false;
  const body = parent
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`).test(child);
}

/**
 * A child's scopes, narrowed to its parent's: an omitted list inherits the parent's, and a list
 * the parent does not cover is refused with the offending entry. Returns the scopes to store.
 */
export function narrowScopes(
  parent: Scopes,
  child: Scopes | undefined,
): { scopes: Scopes } | { field: string; entry: string } {
  const scopes: Scopes = {};
  for (const list of ['providers', 'models', 'endpoints'] as const) {
    const allowed = parent[list];
    const wanted = child?.[list];
    if (wanted === undefined) {
      if (allowed !== undefined) scopes[list] = [...allowed];
      continue;
    }
    if (allowed !== undefined) {
      const outside = wanted.find((entry) => !allowed.some((p) => patternWithin(entry, p)));
      if (outside !== undefined) return { field: list, entry: outside };
    }
    scopes[list] = [...wanted];
  }
  return { scopes };
}
