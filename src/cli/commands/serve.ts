import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** `keywarden serve`: the gateway, admin API and dashboard on one port, until a signal stops it. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the gateway, admin API and dashboard (initialises an empty data dir first)')
    .option('--port <port>', 'port to listen on (default 8787, env KEYWARDEN_PORT)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, env KEYWARDEN_HOST)')
    .option('--data-dir <dir>', 'where the database and master key live (default ./.keywarden)')
    .action(async (options: { port?: string; host?: string; dataDir?: string }) => {
      // Loaded on demand: operator commands should not pay for the server's dependencies.
      const { runServe } = await import('../../main.js');
      await runServe(options, ctx.out);
    });
}
