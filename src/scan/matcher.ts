import type { Rule } from './rules.js';

/** One rule hit inside a piece of text; offsets are of the secret itself. */
export interface RawMatch {
  rule: Rule;
  secret: string;
  start: number;
  end: number;
}

export interface Matcher {
  /** Longest text a single match can span; chunked readers overlap chunks by at least this much. */
  readonly maxMatchLength: number;
  /**
   * Calls `onMatch` for every match in `text` starting at or after `from` and before `until`;
   * reported offsets are shifted by `base` (the text's offset in its source).
   */
  scan(text: string, onMatch: (match: RawMatch) => void, from?: number, until?: number, base?: number): void;
}

const WORD_CHAR = /[A-Za-z0-9]/;

/**
 * One pass per chunk: a single regular expression finds every rule's anchor (a literal prefix or
 * keyword) at once, and only at those few places is a rule's own sticky pattern tried. Text
 * without anchors costs one regex scan, however many rules there are.
 */
export function createMatcher(rules: readonly Rule[]): Matcher {
  const candidates = candidatesByAnchor(rules);
  const alternatives = [...candidates.keys()]
    .sort((a, b) => b.length - a.length)
    .map((anchor) => (isInsensitive(anchor, rules) ? caseless(anchor) : escapeRegex(anchor)));
  const anchorRegex = new RegExp(alternatives.join('|'), 'g');

  return {
    maxMatchLength: 1024,
    scan(text, onMatch, from = 0, until = text.length, base = 0) {
      anchorRegex.lastIndex = from;
      for (let hit = anchorRegex.exec(text); hit !== null; hit = anchorRegex.exec(text)) {
        const at = hit.index;
        if (at >= until) break;
        const rulesHere = candidates.get(hit[0]) ?? candidates.get(hit[0].toLowerCase()) ?? [];
        const afterWord = at > 0 && WORD_CHAR.test(text[at - 1] ?? '');
        let matchedEnd = -1;
        for (const rule of rulesHere) {
          if (afterWord && !rule.caseInsensitiveAnchor) continue;
          const found = matchRule(rule, text, at);
          if (found) {
            matchedEnd = found.end;
            onMatch({ ...found, start: found.start + base, end: found.end + base });
            break;
          }
        }
        anchorRegex.lastIndex = matchedEnd > at ? matchedEnd : at + 1;
      }
    },
  };
}

function matchRule(rule: Rule, text: string, at: number): RawMatch | undefined {
  rule.regex.lastIndex = at;
  const m = rule.regex.exec(text);
  if (!m) return undefined;
  const span = m.indices?.groups?.secret;
  const secret = span ? text.slice(span[0], span[1]) : m[0];
  const start = span ? span[0] : at;
  if (isPlaceholder(secret)) return undefined;
  if (rule.validate && !rule.validate(secret)) return undefined;
  return { rule, secret, start, end: start + secret.length };
}

/**
 * Documentation placeholders shaped like keys (`sk-xxxxxxxx...`, AWS's `...EXAMPLE`): long runs
 * of one character, the alphabet in order, or the word EXAMPLE. Random keys essentially never
 * contain these.
 */
export function isPlaceholder(secret: string): boolean {
  return /(.)\1{5}|EXAMPLE|example|abcdefgh|ABCDEFGH|12345678/.test(secret);
}

/** For each anchor, every rule whose own anchor it starts with: longest anchor first, then file order. */
function candidatesByAnchor(rules: readonly Rule[]): Map<string, Rule[]> {
  const all = new Set(rules.flatMap((rule) => rule.anchors));
  const map = new Map<string, Rule[]>();
  for (const anchor of all) {
    const matching = rules
      .map((rule, order) => ({ rule, order, length: longestPrefix(rule, anchor) }))
      .filter((c) => c.length > 0)
      .sort((a, b) => b.length - a.length || a.order - b.order)
      .map((c) => c.rule);
    map.set(anchor, matching);
  }
  return map;
}

function longestPrefix(rule: Rule, anchor: string): number {
  let best = 0;
  for (const own of rule.anchors) {
    const starts = rule.caseInsensitiveAnchor ? anchor.toLowerCase().startsWith(own) : anchor.startsWith(own);
    if (starts && own.length > best) best = own.length;
  }
  return best;
}

function isInsensitive(anchor: string, rules: readonly Rule[]): boolean {
  return rules.some((rule) => rule.caseInsensitiveAnchor && rule.anchors.includes(anchor));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function caseless(text: string): string {
  return [...text]
    .map((c) =>
      c.toLowerCase() !== c.toUpperCase() ? `[${c.toLowerCase()}${c.toUpperCase()}]` : escapeRegex(c),
    )
    .join('');
}
