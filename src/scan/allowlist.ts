import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore from 'ignore';

/** The default allowlist file, read from the scanned directory when present. */
export const ALLOWLIST_FILE = '.keywarden-allow';

export interface Allowlist {
  allows(fingerprint: string, path: string): boolean;
}

const FINGERPRINT = /^[0-9a-f]{20}$/;

/**
 * An allowlist file: one entry a line, `#` starts a comment. A line that is a fingerprint (20 hex
 * characters, as printed by every output) allows that secret anywhere; any other line is a path
 * pattern in .gitignore syntax, allowing everything found in matching files.
 */
export function parseAllowlist(text: string): Allowlist {
  const fingerprints = new Set<string>();
  const paths = ignore();
  let hasPaths = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (FINGERPRINT.test(line)) fingerprints.add(line);
    else {
      paths.add(line);
      hasPaths = true;
    }
  }
  return {
    allows: (fingerprint, path) =>
      fingerprints.has(fingerprint) || (hasPaths && isRelative(path) && paths.ignores(path)),
  };
}

/** The allowlist named by `--allowlist`, else `.keywarden-allow` in `root`, else one that allows nothing. */
export function loadAllowlist(file: string | undefined, root: string | undefined): Allowlist {
  const path = file ?? (root ? join(root, ALLOWLIST_FILE) : undefined);
  if (!path || (!file && !existsSync(path))) return { allows: () => false };
  return parseAllowlist(readFileSync(path, 'utf8'));
}

/** `ignore` only takes relative paths; `<stdin>` and the like are never path-allowed. */
function isRelative(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.startsWith('<') && !/^[A-Za-z]:/.test(path);
}
