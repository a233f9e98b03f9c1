import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * `keywarden migrate`: brings the database (Postgres with DATABASE_URL, else SQLite in the data dir)
 * to this build's schema. `serve` migrates on start too; running this first lets a rollout upgrade
 * the schema once, before new instances start.
 */
export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL, or SQLite in the data dir)')
    .option('--data-dir <dir>', 'data dir holding the SQLite database (default ./.keywarden)')
    .action(async (options: { dataDir?: string }) => {
      const { runMigrate } = await import('../../main.js');
      await runMigrate(options, ctx.out);
    });
}
