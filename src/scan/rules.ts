import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isWellFormedSecret } from '../domain/key-format.js';
import { DEFAULT_RULES } from './default-rules.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

/** Offline checks a rule may ask for after its pattern matched. */
export type Validator = 'keywarden-key' | 'keywarden-admin';
const VALIDATORS: Record<Validator, (secret: string) => boolean> = {
  'keywarden-key': (secret) => isWellFormedSecret(secret, 'key'),
  'keywarden-admin': (secret) => isWellFormedSecret(secret, 'admin'),
};

/** One rule as written in a rules file (see docs/scan-rules.md). */
export interface RuleSpec {
  id: string;
  description: string;
  severity: Severity;
  /** Literal text every match starts with (one or several). */
  anchor: string | string[];
  anchor_case_insensitive?: boolean;
  /** A JavaScript regular expression matched at the anchor; `(?<secret>...)` names the secret part. */
  pattern: string;
  /** Regular expression flags for `pattern`: only `i` is allowed. */
  flags?: string;
  validate?: Validator;
  /** `false` turns a shipped rule off. */
  enabled?: boolean;
}

/** A rule ready to run: its pattern compiled sticky, so it is tried exactly where its anchor was found. */
export interface Rule {
  id: string;
  description: string;
  severity: Severity;
  anchors: string[];
  caseInsensitiveAnchor: boolean;
  regex: RegExp;
  validate: ((secret: string) => boolean) | undefined;
}

/** Characters that may continue a token: a match followed by one of them is only part of something longer. */
const TOKEN_TAIL = '(?![A-Za-z0-9_-])';

export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

/** Checks and compiles rule specs; a bad rule is a `RuleError` naming it. */
export function compileRules(specs: readonly RuleSpec[]): Rule[] {
  return specs.filter((spec) => spec.enabled !== false).map(compileRule);
}

function compileRule(spec: RuleSpec, index: number): Rule {
  const where = `rule ${typeof spec.id === 'string' && spec.id ? JSON.stringify(spec.id) : `#${index + 1}`}`;
  const fail = (why: string): never => {
    throw new RuleError(`${where}: ${why}`);
  };
  if (typeof spec.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(spec.id))
    fail('id must be lower-case letters, digits, ".", "_" or "-"');
  if (!SEVERITIES.includes(spec.severity)) fail(`severity must be one of ${SEVERITIES.join(', ')}`);
  const anchors = typeof spec.anchor === 'string' ? [spec.anchor] : spec.anchor;
  if (
    !Array.isArray(anchors) ||
    anchors.length === 0 ||
    anchors.some((a) => typeof a !== 'string' || a.length < 2)
  )
    fail('anchor must be a string (or list of strings) of at least 2 characters');
  if (typeof spec.pattern !== 'string' || spec.pattern === '') fail('pattern is required');
  if (spec.flags !== undefined && !/^i?$/.test(spec.flags)) fail('flags may only be "i"');
  if (spec.validate !== undefined && !(spec.validate in VALIDATORS))
    fail(`validate must be one of ${Object.keys(VALIDATORS).join(', ')}`);
  let regex: RegExp;
  try {
    regex = new RegExp(`(?:${spec.pattern})${TOKEN_TAIL}`, `yd${spec.flags ?? ''}`);
  } catch (error) {
    return fail(`pattern does not compile: ${(error as Error).message}`);
  }
  const caseInsensitiveAnchor = spec.anchor_case_insensitive === true;
  return {
    id: spec.id,
    description: typeof spec.description === 'string' ? spec.description : spec.id,
    severity: spec.severity,
    anchors: caseInsensitiveAnchor ? anchors.map((a) => a.toLowerCase()) : anchors,
    caseInsensitiveAnchor,
    regex,
    validate: spec.validate ? VALIDATORS[spec.validate] : undefined,
  };
}

/**
 * The shipped rules plus a user's rules file (YAML or JSON: `{rules: [...]}` or a bare list).
 * A user rule with a shipped id replaces it; `enabled: false` turns it off.
 */
export function loadRules(userFile?: string): Rule[] {
  if (!userFile) return compileRules(DEFAULT_RULES);
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(userFile, 'utf8'));
  } catch (error) {
    throw new RuleError(`cannot read rules file ${userFile}: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === 'object' && 'rules' in parsed
      ? (parsed as { rules: unknown }).rules
      : undefined;
  if (!Array.isArray(list)) throw new RuleError(`${userFile}: expected a list of rules under "rules"`);
  const byId = new Map<string, RuleSpec>(DEFAULT_RULES.map((rule) => [rule.id, rule]));
  for (const spec of list as RuleSpec[]) byId.set(spec?.id, spec);
  return compileRules([...byId.values()]);
}
