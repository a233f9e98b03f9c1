import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { AdminClient, Query } from '../admin-client.js';
import type { CliContext, ConnectionOptions } from '../context.js';
import { CliError } from '../errors.js';
import { formatCell, formatTable, listData, record } from '../output.js';
import { parsePositiveInt, parseTimestamp } from '../parse.js';
import { operatorCommand, print } from './operator.js';

interface FilterOptions extends ConnectionOptions {
  actor?: string;
  action?: string;
  target?: string;
  project?: string;
  from?: string;
  to?: string;
}

const EXPORT_PAGE = 1000;

/** `keywarden audit list|verify|export`: the hash-chained trail of admin actions and security events. */
export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  withFilters(operatorCommand(audit, 'list', 'show audit entries, oldest first'))
    .option('--limit <n>', 'entries to show (at most 1000)', parsePositiveInt)
    .option('--after <cursor>', 'continue after this entry (next_cursor)')
    .action(async (options: FilterOptions & { limit?: number; after?: string }) => {
      const query = { ...filterQuery(options), limit: options.limit?.toString(), after: options.after };
      const answer = await ctx.connect(options).get('/audit', query);
      print(ctx, options, answer, () => auditTable(listData(answer)));
    });

  operatorCommand(
    audit,
    'verify',
    'check the hash chain; exit 1 and name the entries if it was tampered with',
  ).action(async (options: ConnectionOptions) => {
    const result = record(await ctx.connect(options).get('/audit/verify'));
    const problems = Array.isArray(result.problems) ? result.problems.map(record) : [];
    print(ctx, options, result, () =>
      result.ok === true
        ? `audit log intact: ${formatCell(result.entries)} entries, chain unbroken`
        : problems.map((p) => `${formatCell(p.kind)}: ${formatCell(p.message)}`).join('\n'),
    );
    if (result.ok !== true) throw new CliError(`audit log was tampered with: ${problems.length} problem(s)`);
  });

  withFilters(operatorCommand(audit, 'export', 'write audit entries as JSON lines (stdout or --output)'))
    .option('--output <file>', 'write to this file (mode 0600) instead of stdout')
    .action(async (options: FilterOptions & { output?: string }) => {
      const client = ctx.connect(options);
      if (!options.output) {
        await exportPages(client, filterQuery(options), (line) => ctx.io.stdout.write(line));
        return;
      }
      const file = createWriteStream(options.output, { mode: 0o600, flags: 'wx' });
      const opened = new Promise<void>((resolve, reject) =>
        file.once('open', () => resolve()).once('error', reject),
      );
      await opened.catch((error: Error) => {
        throw new CliError(`cannot write ${options.output}: ${error.message}`);
      });
      const count = await exportPages(client, filterQuery(options), (line) => file.write(line));
      await new Promise<void>((resolve) => file.end(resolve));
      ctx.err(`keywarden: wrote ${count} audit entries to ${options.output}`);
    });
}

function withFilters(command: Command): Command {
  return command
    .option('--actor <id>', 'only entries by this admin token or key id')
    .option('--action <action>', 'only this action, e.g. key.revoked')
    .option('--target <id>', 'only entries about this record id')
    .option('--project <id-or-name>', 'only entries about this project')
    .option('--from <time>', 'from this time (ISO 8601)', parseTimestamp)
    .option('--to <time>', 'until this time (ISO 8601)', parseTimestamp);
}

function filterQuery(options: FilterOptions): Query {
  const { actor, action, target, project, from, to } = options;
  return { actor, action, target, project, from, to };
}

async function exportPages(
  client: AdminClient,
  query: Query,
  write: (line: string) => unknown,
): Promise<number> {
  let count = 0;
  for (let after: string | undefined; ; ) {
    const page = record(await client.get('/audit', { ...query, limit: String(EXPORT_PAGE), after }));
    for (const entry of listData(page)) {
      write(`${JSON.stringify(entry)}\n`);
      count++;
    }
    if (typeof page.next_cursor !== 'string') return count;
    after = page.next_cursor;
  }
}

function auditTable(entries: Array<Record<string, unknown>>): string {
  if (entries.length === 0) return 'no audit entries';
  return formatTable(
    ['SEQ', 'TIME', 'ACTION', 'ACTOR', 'TARGET', 'REQUEST'],
    entries.map((e) => {
      const actor = record(e.actor);
      const target = record(e.target);
      return [
        formatCell(e.seq),
        formatCell(e.time),
        formatCell(e.action),
        formatCell(actor.id ?? actor.type),
        formatCell(target.id),
        formatCell(e.request_id),
      ];
    }),
  );
}
