import { Command, CommanderError, Help, type Option } from 'commander';
import { registerAdminTokens } from './commands/admin-tokens.js';
import { registerAlerts } from './commands/alerts.js';
import { registerAudit } from './commands/audit.js';
import { registerDoctor } from './commands/doctor.js';
import { registerInit } from './commands/init.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrate } from './commands/migrate.js';
import { registerProjects } from './commands/projects.js';
import { registerProviders } from './commands/providers.js';
import { registerScan } from './commands/scan.js';
import { registerServe } from './commands/serve.js';
import { registerUsage } from './commands/usage.js';
import { type CliContext, type CliIo, createContext } from './context.js';
import { UsageError } from './errors.js';
import { oneLine } from './output.js';
import { packageVersion } from './version.js';

export type { CliIo } from './context.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/**
 * Runs one `keywarden` command line and resolves to its exit code: 0 success, 1 failure, 2 usage
 * error. Errors are one line on stderr (`keywarden: ...`), with the stack only under `--debug`.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const ctx = createContext(io);
  const debug = argv.includes('--debug');
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return report(error, ctx, debug);
  }
}

/** The whole command tree. Parsing never exits the process: errors come back as CommanderError. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('keywarden')
    .description('self-hosted gateway that makes a leaked AI API key cheap, short-lived and noticed')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'print stack traces on errors')
    .showSuggestionAfterError()
    .configureHelp({ visibleOptions: sharedOptionsLast })
    // Settings made here are inherited by every subcommand created afterwards.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      // Parse errors are printed by `report`, as one line.
      outputError: () => {},
    });

  registerServe(program, ctx);
  registerInit(program, ctx);
  registerMigrate(program, ctx);
  registerProviders(program, ctx);
  registerProjects(program, ctx);
  registerKeys(program, ctx);
  registerUsage(program, ctx);
  registerScan(program, ctx);
  registerAlerts(program, ctx);
  registerAudit(program, ctx);
  registerAdminTokens(program, ctx);
  registerDoctor(program, ctx);
  return program;
}

const SHARED_OPTIONS = ['--url', '--json', '--help'];

/** In help, a command's own flags come first; `--url`, `--json` and `--help` close every list. */
function sharedOptionsLast(this: Help, command: Command): Option[] {
  const options = Help.prototype.visibleOptions.call(this, command);
  const rank = (option: Option) => SHARED_OPTIONS.indexOf(option.long ?? '');
  return [
    ...options.filter((o) => rank(o) < 0),
    ...options.filter((o) => rank(o) >= 0).sort((a, b) => rank(a) - rank(b)),
  ];
}

function report(error: unknown, ctx: CliContext, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    // Help printed because a subcommand was missing (`keywarden keys`): the help is the message.
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    ctx.err(`keywarden: ${oneLine(error.message.replace(/^error: /, ''))}`);
    return EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    ctx.err(`keywarden: ${oneLine(error.message)}`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.err(`keywarden: ${oneLine(message) || 'unexpected error'}`);
  if (debug && error instanceof Error && error.stack) ctx.io.stderr.write(`${error.stack}\n`);
  return EXIT_FAILURE;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin };
}
