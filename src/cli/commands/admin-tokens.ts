import { type Command, Option } from 'commander';
import { segment } from '../admin-client.js';
import type { CliContext, ConnectionOptions } from '../context.js';
import { formatCell, formatDetails, formatTable, listData, record } from '../output.js';
import { parseDuration, parseList, parseTimestamp } from '../parse.js';
import { operatorCommand, print } from './operator.js';

const ROLES = ['owner', 'admin', 'project-admin', 'viewer'];

interface CreateOptions extends ConnectionOptions {
  name: string;
  role: string;
  projects?: string[];
  expiresAt?: string;
  ttl?: number;
}

/** `keywarden admin-tokens create|list|revoke`: tokens for operators, CI and the dashboard. */
export function registerAdminTokens(program: Command, ctx: CliContext): void {
  const tokens = program.command('admin-tokens').description('admin API tokens and their roles');

  operatorCommand(tokens, 'create', 'create an admin token and print its secret once')
    .requiredOption('--name <name>', 'who or what uses the token')
    .addOption(new Option('--role <role>', 'what it may do').choices(ROLES).makeOptionMandatory())
    .option('--projects <list>', 'for project-admin: the projects it manages, comma-separated', parseList)
    .option('--expires-at <time>', 'expiry as ISO 8601', parseTimestamp)
    .addOption(
      new Option('--ttl <duration>', 'expiry from now: 30m, 2h, 7d')
        .argParser(parseDuration)
        .conflicts('expiresAt'),
    )
    .action(async (options: CreateOptions) => {
      const body: Record<string, unknown> = { name: options.name, role: options.role };
      if (options.projects) body.projects = options.projects;
      if (options.ttl !== undefined) body.expires_at = new Date(ctx.now() + options.ttl).toISOString();
      else if (options.expiresAt !== undefined) body.expires_at = options.expiresAt;
      const token = record(await ctx.connect(options).post('/admin-tokens', body));
      print(ctx, options, token, () =>
        [
          'admin token created',
          describeToken(token),
          '',
          'secret (export it as KEYWARDEN_ADMIN_TOKEN):',
          `  ${formatCell(token.token)}`,
        ].join('\n'),
      );
      ctx.err('keywarden: store this secret now: it will not be shown again.');
    });

  operatorCommand(tokens, 'list', 'list admin tokens (never their secrets)').action(
    async (options: ConnectionOptions) => {
      const answer = await ctx.connect(options).get('/admin-tokens');
      print(ctx, options, answer, () => {
        const rows = listData(answer);
        if (rows.length === 0) return 'no admin tokens';
        return formatTable(
          ['ID', 'NAME', 'ROLE', 'PROJECTS', 'PREFIX', 'STATUS', 'EXPIRES'],
          rows.map((t) =>
            [t.id, t.name, t.role, t.projects, t.prefix, t.status, t.expires_at].map(formatCell),
          ),
        );
      });
    },
  );

  operatorCommand(tokens, 'revoke <id>', 'revoke an admin token for good').action(
    async (id: string, options: ConnectionOptions) => {
      const token = record(await ctx.connect(options).post(`/admin-tokens${segment(id)}/revoke`));
      print(
        ctx,
        options,
        token,
        () => `admin token ${formatCell(token.id ?? id)} is now ${formatCell(token.status)}`,
      );
    },
  );
}

function describeToken(token: Record<string, unknown>): string {
  return formatDetails(
    (['id', 'name', 'role', 'projects', 'prefix', 'expires_at'] as const).map((f) => [
      f.replace('_', ' '),
      token[f],
    ]),
  );
}
