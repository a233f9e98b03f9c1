import { type Command, Option } from 'commander';
import { DEFAULT_URL } from '../admin-client.js';
import type { CliContext, ConnectionOptions } from '../context.js';
import { formatJson } from '../output.js';
import { parseUrl } from '../parse.js';

/** A subcommand that talks to a running server: it takes `--url` and `--json`. */
export function operatorCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return parent
    .command(nameAndArgs)
    .description(description)
    .addOption(
      new Option('--url <url>', 'address of the keywarden server').default(DEFAULT_URL).argParser(parseUrl),
    )
    .option('--json', "print the admin API's JSON answer as-is");
}

/** Prints the API answer as JSON with `--json`, otherwise as `render` lays it out for people. */
export function print(
  ctx: CliContext,
  options: ConnectionOptions,
  body: unknown,
  render: () => string,
): void {
  if (options.json) {
    if (body !== undefined) ctx.out(formatJson(body));
    return;
  }
  ctx.out(render());
}
