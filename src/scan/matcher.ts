import type { Rule } from './rules.js';

/** One rule hit inside a piece of text; offsets are of the secret itself. */
export interface RawMatch {
  rule: Rule;
  secret: string;
  start: number;
  end: number;
}

export interface Matcher {
  /**
   * Calls `onMatch` for every match in `text` starting at or after `from` and before `until`;
   * reported offsets are shifted by `base` (the text's offset in its source).
   */
  scan(text: string, onMatch: (match: RawMatch) => void, from?: number, until?: number, base?: number): void;
}

const WORD_CHAR = /[A-Za-z0-9]/;

/**
 * One pass per chunk: a single regular expression finds every rule's anchor (a literal prefix)
 * at once, and only at those few places is a rule's own sticky pattern tried. Keyword anchors
 * (variable names, any case) get a second, case-insensitive pass: folding them into the first
 * regex as `[mM][iI]...` classes would make it stop at almost every letter.
 */
export function createMatcher(rules: readonly Rule[]): Matcher {
  const prefixRules = rules.filter((rule) => !rule.caseInsensitiveAnchor);
  const keywordRules = rules.filter((rule) => rule.caseInsensitiveAnchor);
  const passes = [anchorPass(prefixRules, ''), anchorPass(keywordRules, 'i')].filter(
    (pass) => pass !== undefined,
  );

  return {
    scan(text, onMatch, from = 0, until = text.length, base = 0) {
      const found: RawMatch[] = [];
      for (const pass of passes) pass(text, from, until, found);
      // Two passes: deliver in text order, as readers count lines forward.
      if (passes.length > 1) found.sort((a, b) => a.start - b.start);
      for (const match of found) onMatch({ ...match, start: match.start + base, end: match.end + base });
    },
  };
}

type Pass = (text: string, from: number, until: number, found: RawMatch[]) => void;

function anchorPass(rules: readonly Rule[], flags: '' | 'i'): Pass | undefined {
  if (rules.length === 0) return undefined;
  const anchors = minimalAnchors(rules.flatMap((rule) => rule.anchors));
  const candidates = new Map(anchors.map((anchor) => [anchor, candidatesFor(anchor, rules)]));
  const anchorRegex = new RegExp(anchors.map(escapeRegex).join('|'), `g${flags}`);
  const fold = flags === 'i';
  return (text, from, until, found) => {
    anchorRegex.lastIndex = from;
    for (let hit = anchorRegex.exec(text); hit !== null; hit = anchorRegex.exec(text)) {
      const at = hit.index;
      if (at >= until) break;
      const rulesHere = candidates.get(fold ? hit[0].toLowerCase() : hit[0]) ?? [];
      // A prefix glued to a word (`risk-...`) is not a key; keywords may sit inside names.
      const afterWord = !fold && at > 0 && WORD_CHAR.test(text[at - 1] ?? '');
      let matchedEnd = -1;
      if (!afterWord) {
        for (const rule of rulesHere) {
          const match = matchRule(rule, text, at);
          if (match) {
            found.push(match);
            matchedEnd = match.end;
            break;
          }
        }
      }
      anchorRegex.lastIndex = matchedEnd > at ? matchedEnd : at + 1;
    }
  };
}

/** Anchors that do not start with another anchor: `sk-` stands for `sk-proj-`, `sk-ant-api03-`... */
function minimalAnchors(anchors: readonly string[]): string[] {
  const unique = [...new Set(anchors)];
  return unique.filter((anchor) => !unique.some((other) => other !== anchor && anchor.startsWith(other)));
}

/**
 * The rules to try where `anchor` was found: those whose own anchor extends it (their pattern
 * checks the rest), longest anchor first so `sk-proj-` is tried before `sk-`, then file order.
 */
function candidatesFor(anchor: string, rules: readonly Rule[]): Rule[] {
  return rules
    .map((rule, order) => ({
      rule,
      order,
      length: Math.max(0, ...rule.anchors.filter((own) => own.startsWith(anchor)).map((own) => own.length)),
    }))
    .filter((c) => c.length > 0)
    .sort((a, b) => b.length - a.length || a.order - b.order)
    .map((c) => c.rule);
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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
