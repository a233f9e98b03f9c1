import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { hashSecret } from '../../domain/key-format.js';
import { loadAllowlist } from '../../scan/allowlist.js';
import type { Finding } from '../../scan/findings.js';
import { formatJson, formatSarif, formatText, SCAN_FORMATS, type ScanFormat } from '../../scan/formatters.js';
import { HookError, installPreCommitHook } from '../../scan/pre-commit-hook.js';
import { loadRules, RuleError } from '../../scan/rules.js';
import {
  type ScanOptions,
  type ScanReport,
  scanGitHistory,
  scanStaged,
  scanStream,
  scanTree,
} from '../../scan/scan-runner.js';
import { DEFAULT_URL } from '../admin-client.js';
import type { CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { formatCell, record } from '../output.js';
import { parseUrl } from '../parse.js';
import { packageVersion } from '../version.js';
import { createProgressBar } from './scan-progress.js';

interface ScanCommandOptions {
  git?: boolean;
  stdin?: boolean;
  staged?: boolean;
  format: ScanFormat;
  json?: boolean;
  rules?: string;
  allowlist?: string;
  color?: boolean;
  progress?: boolean;
  installHook?: boolean;
  force?: boolean;
  revoke?: boolean;
  url: string;
}

/** Exit 1 with one line on stderr: secrets were found (the report itself is already printed). */
export class SecretsFound extends CliError {}

/** `keywarden scan [PATH]`: finds hardcoded AI keys in a tree, git history, staged changes or stdin. */
export function registerScan(program: Command, ctx: CliContext): void {
  program
    .command('scan [path]')
    .description('find hardcoded AI provider keys and keywarden keys in code and git history')
    .option('--git', 'scan every blob reachable from every ref of the git repository at PATH')
    .option('--stdin', 'scan standard input')
    .option('--staged', 'scan only the changes staged for commit (what the pre-commit hook runs)')
    .addOption(new Option('--format <format>', 'output format').choices(SCAN_FORMATS).default('text'))
    .option('--json', 'same as --format json')
    .option('--rules <file>', 'extra rules (YAML or JSON, see docs/scan-rules.md)')
    .option('--allowlist <file>', 'fingerprints and path patterns to ignore (default: PATH/.keywarden-allow)')
    .option('--no-color', 'no colours in text output')
    .option('--no-progress', 'no progress bar')
    .option('--install-hook', 'install a git pre-commit hook that scans staged changes')
    .option('--force', 'with --install-hook: replace an existing pre-commit hook')
    .option('--revoke', 'revoke every live keywarden key found, through the admin API')
    .addOption(
      new Option('--url <url>', 'with --revoke: the keywarden server')
        .default(DEFAULT_URL)
        .argParser(parseUrl),
    )
    .action(async (path: string | undefined, options: ScanCommandOptions) => {
      const root = path ?? '.';
      if (options.installHook) return installHook(ctx, root, options);
      if ([options.git, options.stdin, options.staged].filter(Boolean).length > 1) {
        throw new UsageError('--git, --stdin and --staged exclude each other');
      }
      const format: ScanFormat = options.json ? 'json' : options.format;
      const report = await runScan(ctx, root, options);
      ctx.io.stdout.write(render(report, format, options.color !== false && isTty(ctx.io.stdout)));
      if (options.revoke) await revokeFound(ctx, report.findings, options);
      if (report.findings.length > 0) {
        throw new SecretsFound(
          `${report.findings.length} secret${report.findings.length === 1 ? '' : 's'} found`,
        );
      }
    });
}

async function runScan(ctx: CliContext, root: string, options: ScanCommandOptions): Promise<ScanReport> {
  let scanOptions: ScanOptions;
  try {
    scanOptions = {
      rules: loadRules(options.rules),
      allowlist: loadAllowlist(options.allowlist, options.stdin ? undefined : root),
    };
  } catch (error) {
    if (error instanceof RuleError) throw new CliError(error.message);
    throw new CliError(`cannot read the allowlist: ${(error as Error).message}`);
  }
  const progress =
    options.progress !== false && isTty(ctx.io.stderr) && !options.stdin
      ? createProgressBar(ctx.io.stderr)
      : undefined;
  if (progress) scanOptions.onProgress = progress.update;
  try {
    if (options.stdin) {
      if (!ctx.io.stdin) throw new CliError('no standard input to scan');
      return await scanStream(ctx.io.stdin, scanOptions);
    }
    if (options.git) return await scanGitHistory(root, scanOptions);
    if (options.staged) return await scanStaged(root, scanOptions);
    return await scanTree(root, scanOptions);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot scan ${root}: ${(error as Error).message}`);
  } finally {
    progress?.done();
  }
}

function render(report: ScanReport, format: ScanFormat, color: boolean): string {
  if (format === 'json') return formatJson(report);
  if (format === 'sarif') return formatSarif(report, packageVersion());
  return formatText(report, color);
}

async function installHook(ctx: CliContext, root: string, options: ScanCommandOptions): Promise<void> {
  const bin = fileURLToPath(new URL('../../../bin/keywarden.js', import.meta.url));
  try {
    const hook = await installPreCommitHook(root, [process.execPath, bin, 'scan', '--staged'], {
      force: options.force === true,
    });
    ctx.out(`installed ${hook}: each commit's staged changes are scanned for secrets`);
  } catch (error) {
    if (error instanceof HookError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * Sends the SHA-256 of each keywarden key or admin token found (never the secret) to the admin
 * API, which revokes the live ones and records where each was found.
 */
async function revokeFound(ctx: CliContext, findings: Finding[], options: ScanCommandOptions): Promise<void> {
  const ours = findings.filter((f) => f.ruleId === 'keywarden-key' || f.ruleId === 'keywarden-admin-token');
  if (ours.length === 0) {
    ctx.err('no keywarden keys found: nothing to revoke');
    return;
  }
  const reports = ours.map((f) => ({
    token_hash: hashSecret(f.secret),
    location: `${f.path}:${f.line}${f.git ? ` (commit ${f.git.commit.slice(0, 12)})` : ''}`,
  }));
  const answer = record(await ctx.connect(options).post('/leaks', { source: 'keywarden scan', reports }));
  const results = Array.isArray(answer.data) ? (answer.data as Array<Record<string, unknown>>) : [];
  for (const result of results) {
    const what = result.kind === 'admin_token' ? 'admin token' : 'key';
    const who = result.id ? `${what} ${formatCell(result.id)}` : `a ${what}`;
    if (result.outcome === 'revoked') ctx.err(`revoked ${who} found at ${formatCell(result.location)}`);
    else if (result.outcome === 'already_revoked')
      ctx.err(`${who} found at ${formatCell(result.location)} was already revoked`);
    else ctx.err(`the key found at ${formatCell(result.location)} is not known to this keywarden`);
  }
}

function isTty(stream: unknown): boolean {
  return typeof stream === 'object' && stream !== null && (stream as { isTTY?: boolean }).isTTY === true;
}
