import type { Finding } from './findings.js';
import type { Severity } from './rules.js';
import type { ScanReport } from './scan-runner.js';

export type ScanFormat = 'text' | 'json' | 'sarif';
export const SCAN_FORMATS: readonly ScanFormat[] = ['text', 'json', 'sarif'];

const COLOR: Record<Severity | 'path' | 'dim' | 'reset', string> = {
  critical: '\x1b[1;31m',
  high: '\x1b[31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  path: '\x1b[1m',
  dim: '\x1b[2m',
  reset: '\x1b[0m',
};

/** Findings grouped by file, the secrets redacted; ANSI colours only when `color` is set. */
export function formatText(report: ScanReport, color: boolean): string {
  const paint = (style: keyof typeof COLOR, text: string) =>
    color ? `${COLOR[style]}${text}${COLOR.reset}` : text;
  const lines: string[] = [];
  const groups = new Map<string, Finding[]>();
  for (const finding of report.findings) {
    const group = groups.get(finding.path) ?? [];
    group.push(finding);
    groups.set(finding.path, group);
  }
  for (const [path, findings] of groups) {
    lines.push(paint('path', path));
    for (const f of findings) {
      const where = `${f.line}:${f.column}`.padEnd(9);
      const commit = f.git ? paint('dim', `  commit ${f.git.commit.slice(0, 12)} ${f.git.authorDate}`) : '';
      lines.push(
        `  ${where} ${paint(f.severity, f.severity.padEnd(8))} ${f.ruleId.padEnd(28)} ${f.redacted}  ${paint('dim', f.fingerprint)}${commit}`,
      );
    }
    lines.push('');
  }
  const what = `${report.mode === 'git' ? 'blob' : 'file'}${report.sources === 1 ? '' : 's'}`;
  const summary =
    report.findings.length === 0
      ? `no secrets found in ${report.sources} ${what} (${formatBytes(report.bytes)})`
      : `${report.findings.length} secret${report.findings.length === 1 ? '' : 's'} found in ${groups.size} ${
          groups.size === 1 ? 'file' : 'files'
        } (${report.sources} ${what}, ${formatBytes(report.bytes)} scanned)`;
  const allowed = report.allowed > 0 ? `; ${report.allowed} allowed` : '';
  lines.push(
    report.findings.length === 0 ? `${summary}${allowed}` : paint('critical', `${summary}${allowed}`),
  );
  return `${lines.join('\n')}\n`;
}

/** One JSON document; never the secret itself. */
export function formatJson(report: ScanReport): string {
  return `${JSON.stringify(
    {
      mode: report.mode,
      target: report.target,
      findings: report.findings.map((f) => ({
        rule_id: f.ruleId,
        description: f.description,
        severity: f.severity,
        redacted: f.redacted,
        fingerprint: f.fingerprint,
        path: f.path,
        line: f.line,
        column: f.column,
        ...(f.git && { commit: f.git.commit, author_date: f.git.authorDate }),
      })),
      stats: {
        sources: report.sources,
        binary_skipped: report.binary,
        bytes: report.bytes,
        allowed: report.allowed,
      },
    },
    null,
    2,
  )}\n`;
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/** SARIF 2.1.0 for code-scanning tools: one run, the rules as the driver's rules, secrets redacted. */
export function formatSarif(report: ScanReport, version: string): string {
  const used = new Set(report.findings.map((f) => f.ruleId));
  const rules = report.rules.filter((rule) => used.has(rule.id));
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'keywarden',
            version,
            informationUri: 'https://github.com/keywarden/keywarden',
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.description },
              defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
              properties: { severity: rule.severity, tags: ['security', 'secret'] },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: index.get(f.ruleId) ?? 0,
          level: SARIF_LEVEL[f.severity],
          message: {
            text: `${f.description} found: ${f.redacted}${f.git ? ` (commit ${f.git.commit}, ${f.git.authorDate})` : ''}`,
          },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: sarifUri(f.path) },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          partialFingerprints: { secretFingerprint: f.fingerprint },
          ...(f.git && { properties: { commit: f.git.commit, authorDate: f.git.authorDate } }),
        })),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** Relative paths as URI references: each segment percent-encoded, `/` kept. */
function sarifUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
