import { type Command, Option } from 'commander';
import type { CliContext, ConnectionOptions } from '../context.js';
import { formatCell, formatCount, formatTable, formatUsd, listData, record } from '../output.js';
import { parseTimestamp } from '../parse.js';
import { operatorCommand, print } from './operator.js';

const GROUPS = ['key', 'project', 'model', 'provider', 'endpoint', 'hour', 'day'];

interface UsageOptions extends ConnectionOptions {
  key?: string;
  project?: string;
  model?: string;
  provider?: string;
  from?: string;
  to?: string;
  groupBy?: string;
}

/** `keywarden usage`: metered requests, tokens and cost, filtered and grouped by the server. */
export function registerUsage(program: Command, ctx: CliContext): void {
  operatorCommand(program, 'usage', 'show requests, tokens and cost')
    .option('--key <id-or-name>', 'only this key')
    .option('--project <id-or-name>', 'only this project')
    .option('--model <model>', 'only this model')
    .option('--provider <id-or-name>', 'only this provider')
    .option('--from <time>', 'from this ISO 8601 time', parseTimestamp)
    .option('--to <time>', 'up to this ISO 8601 time', parseTimestamp)
    .addOption(new Option('--group-by <field>', 'one row per value of this field').choices(GROUPS))
    .action(async (options: UsageOptions) => {
      const answer = await ctx.connect(options).get('/usage', {
        key: options.key,
        project: options.project,
        model: options.model,
        provider: options.provider,
        from: options.from,
        to: options.to,
        group_by: options.groupBy,
      });
      print(ctx, options, answer, () => usageTable(answer, options.groupBy));
    });
}

const METRICS = ['REQUESTS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'CACHED TOKENS', 'COST'];

function metrics(row: Record<string, unknown>): string[] {
  return [
    formatCount(row.requests),
    formatCount(row.input_tokens),
    formatCount(row.output_tokens),
    formatCount(row.cached_tokens),
    formatUsd(row.cost_usd),
  ];
}

/**
 * One row per group, then a `total` row; without grouping, the total alone. Key and project groups
 * come with the name beside the id; unpriced requests are counted under the table.
 */
function usageTable(answer: unknown, groupBy: string | undefined): string {
  const totals = record(record(answer).totals);
  const totalRow = ['total', ...metrics(totals)];
  let table: string;
  if (groupBy === undefined) {
    table = formatTable(['', ...METRICS], [totalRow]);
  } else {
    const data = listData(answer);
    const nameField = `${groupBy}_name`;
    const named = data.some((row) => nameField in row);
    const group = (row: Record<string, unknown>) =>
      named ? [formatCell(row[groupBy]), formatCell(row[nameField])] : [formatCell(row[groupBy])];
    table = formatTable(
      [groupBy.toUpperCase(), ...(named ? ['NAME'] : []), ...METRICS],
      [
        ...data.map((row) => [...group(row), ...metrics(row)]),
        named ? ['total', '', ...metrics(totals)] : totalRow,
      ],
    );
  }
  const unpriced = typeof totals.unpriced_requests === 'number' ? totals.unpriced_requests : 0;
  return unpriced > 0
    ? `${table}
${unpriced} request(s) used models without a price: COST leaves them out`
    : table;
}
