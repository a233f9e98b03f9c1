import { createHash } from 'node:crypto';
import type { Allowlist } from './allowlist.js';
import type { LocatedMatch } from './chunk-scanner.js';
import type { Severity } from './rules.js';

/** Where a secret was seen in git history. */
export interface GitOrigin {
  commit: string;
  /** ISO 8601, from the commit's author date. */
  authorDate: string;
}

/**
 * One secret found. `secret` stays in memory (hashing it for `--revoke`); every output prints
 * `redacted` (its prefix and last four characters) and the `fingerprint` instead.
 */
export interface Finding {
  ruleId: string;
  description: string;
  severity: Severity;
  secret: string;
  redacted: string;
  fingerprint: string;
  path: string;
  line: number;
  column: number;
  git?: GitOrigin;
}

/** A stable id for a secret that does not reveal it: allowlists and SARIF use it. */
export function fingerprintOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 20);
}

/** `sk-proj-...Ab3d`: the rule's literal prefix (if the secret has one) and the last 4 characters. */
export function redact(secret: string, anchors: readonly string[]): string {
  const prefix = anchors.find((anchor) => secret.startsWith(anchor)) ?? '';
  return `${prefix}...${secret.slice(-4)}`;
}

export interface FindingSink {
  /** Turns a match in `path` into a finding unless allowlisted. */
  add(match: LocatedMatch, path: string, git?: GitOrigin): void;
  findings: Finding[];
  /** Matches dropped by the allowlist or an inline comment. */
  allowed: number;
}

export function createFindingSink(allowlist: Allowlist): FindingSink {
  const sink: FindingSink = {
    findings: [],
    allowed: 0,
    add(match, path, git) {
      const fingerprint = fingerprintOf(match.secret);
      if (match.inlineAllowed || allowlist.allows(fingerprint, path)) {
        sink.allowed++;
        return;
      }
      sink.findings.push({
        ruleId: match.rule.id,
        description: match.rule.description,
        severity: match.rule.severity,
        secret: match.secret,
        redacted: redact(match.secret, match.rule.anchors),
        fingerprint,
        path,
        line: match.line,
        column: match.column,
        ...(git && { git }),
      });
    },
  };
  return sink;
}

/** Findings in a stable order: by path, then line, then column. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}
