import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** `keywarden init`: initialise a data dir and print the owner admin token, without serving. */
export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('initialise a data dir (master key, database) and print an owner admin token')
    .option('--data-dir <dir>', 'directory to initialise (default ./.keywarden)')
    .option('--json', 'print {"admin_token", "data_dir"} as JSON')
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const { runInit } = await import('../../main.js');
      await runInit(options, ctx.out);
    });
}
