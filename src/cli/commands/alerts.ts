import { type Command, Option } from 'commander';
import { segment } from '../admin-client.js';
import type { CliContext, ConnectionOptions } from '../context.js';
import { formatCell, formatTable, listData, record } from '../output.js';
import { operatorCommand, print } from './operator.js';

interface ListOptions extends ConnectionOptions {
  status: string;
  key?: string;
  project?: string;
  limit?: string;
}

/** `keywarden alerts list|ack`. */
export function registerAlerts(program: Command, ctx: CliContext): void {
  const alerts = program.command('alerts').description('anomalies, spend rules and other alerts');

  operatorCommand(alerts, 'list', 'list alerts, newest first')
    .addOption(
      new Option('--status <status>', 'which alerts')
        .choices(['open', 'acknowledged', 'all'])
        .default('open'),
    )
    .option('--key <id>', 'only alerts about this key')
    .option('--project <id-or-name>', 'only alerts about this project')
    .option('--limit <n>', 'at most this many')
    .action(async (options: ListOptions) => {
      const answer = await ctx.connect(options).get('/alerts', {
        status: options.status,
        key: options.key,
        project: options.project,
        limit: options.limit,
      });
      print(ctx, options, answer, () => alertTable(listData(answer)));
    });

  operatorCommand(alerts, 'ack <id>', 'acknowledge an alert').action(
    async (id: string, options: ConnectionOptions) => {
      const alert = record(await ctx.connect(options).post(`/alerts${segment(id)}/ack`));
      print(ctx, options, alert, () => `alert ${formatCell(alert.id ?? id)} is ${formatCell(alert.status)}`);
    },
  );
}

function alertTable(alerts: Array<Record<string, unknown>>): string {
  if (alerts.length === 0) return 'no alerts';
  return formatTable(
    ['ID', 'CREATED', 'SEVERITY', 'TYPE', 'KEY', 'STATUS', 'MESSAGE'],
    alerts.map((a) => [
      formatCell(a.id),
      formatCell(a.created_at),
      formatCell(a.severity),
      formatCell(a.type),
      formatCell(a.key_name ?? a.key_id),
      formatCell(a.status),
      formatCell(a.message),
    ]),
  );
}
