import type { Command } from 'commander';
import { segment } from '../admin-client.js';
import type { CliContext, ConnectionOptions } from '../context.js';
import { formatCell, formatDetails, formatTable, listData, record } from '../output.js';
import { describeLimitUsage } from './key-view.js';
import { addLimitOptions, type LimitOptions, limitsFrom, patchLimits } from './limit-options.js';
import { operatorCommand, print } from './operator.js';

/** `keywarden projects create|list|show|update`. */
export function registerProjects(program: Command, ctx: CliContext): void {
  const projects = program.command('projects').description('teams or applications that own keys');

  addLimitOptions(
    operatorCommand(projects, 'create', 'create a project').requiredOption('--name <name>', 'project name'),
  ).action(async (options: ConnectionOptions & LimitOptions & { name: string }) => {
    const limits = limitsFrom(options);
    const project = await ctx
      .connect(options)
      .post('/projects', { name: options.name, ...(limits && { limits }) });
    print(ctx, options, project, () => `project created\n${describeProject(record(project))}`);
  });

  addLimitOptions(
    operatorCommand(
      projects,
      'update <id-or-name>',
      "change a project's limits (they cap the sum of its keys)",
    ),
  ).action(async (idOrName: string, options: ConnectionOptions & LimitOptions) => {
    const client = ctx.connect(options);
    await patchLimits(client, `/projects${segment(idOrName)}`, options);
    const project = await client.get(`/projects${segment(idOrName)}`);
    print(ctx, options, project, () => `project updated\n${describeProject(record(project))}`);
  });

  operatorCommand(projects, 'list', 'list projects').action(async (options: ConnectionOptions) => {
    const answer = await ctx.connect(options).get('/projects');
    print(ctx, options, answer, () => {
      const rows = listData(answer);
      if (rows.length === 0) return 'no projects';
      return formatTable(
        ['ID', 'NAME', 'CREATED'],
        rows.map((p) => [formatCell(p.id), formatCell(p.name), formatCell(p.created_at)]),
      );
    });
  });

  operatorCommand(projects, 'show <id-or-name>', 'show one project').action(
    async (idOrName: string, options: ConnectionOptions) => {
      const project = await ctx.connect(options).get(`/projects${segment(idOrName)}`);
      print(ctx, options, project, () => describeProject(record(project)));
    },
  );
}

/** Every field the server sent, known ones first, then the consumption of its limits. */
function describeProject(project: Record<string, unknown>): string {
  const known = ['id', 'name'];
  const rest = Object.keys(project).filter((field) => !known.includes(field) && field !== 'limits_usage');
  return (
    formatDetails([...known, ...rest].map((field) => [field.replace(/_/g, ' '), project[field]])) +
    describeLimitUsage(project.limits_usage)
  );
}
