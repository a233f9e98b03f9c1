import type { Command } from 'commander';
import { segment } from '../admin-client.js';
import type { CliContext, ConnectionOptions } from '../context.js';
import { formatCell, formatTable, listData, record } from '../output.js';
import { parseDuration } from '../parse.js';
import { describeKey, rotationDue } from './key-view.js';
import { registerKeysCreate } from './keys-create.js';
import { addLimitOptions, type LimitOptions, patchLimits } from './limit-options.js';
import { operatorCommand, print } from './operator.js';

const LIFECYCLE = [
  ['revoke', 'revoke a key for good'],
  ['suspend', 'stop a key until it is resumed'],
  ['resume', 'let a suspended key work again'],
] as const;

/** `keywarden keys create|list|show|update|rotate|revoke|suspend|resume`. */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description('virtual keys that apps and agents send instead of provider keys');

  registerKeysCreate(keys, ctx);

  operatorCommand(keys, 'list', 'list keys (never their secrets)')
    .option('--project <id-or-name>', 'only the keys of this project')
    .action(async (options: ConnectionOptions & { project?: string }) => {
      const answer = await ctx.connect(options).get('/keys', { project: options.project });
      print(ctx, options, answer, () => keyTable(listData(answer)));
    });

  operatorCommand(keys, 'show <id>', 'show one key').action(
    async (id: string, options: ConnectionOptions) => {
      const key = await ctx.connect(options).get(`/keys${segment(id)}`);
      print(ctx, options, key, () => describeKey(record(key)));
    },
  );

  addLimitOptions(
    operatorCommand(keys, 'update <id>', "change a key's limits; the next request uses them"),
  ).action(async (id: string, options: ConnectionOptions & LimitOptions) => {
    const client = ctx.connect(options);
    await patchLimits(client, `/keys${segment(id)}`, options);
    const key = await client.get(`/keys${segment(id)}`);
    print(ctx, options, key, () => `key updated\n${describeKey(record(key))}`);
  });

  operatorCommand(keys, 'rotate <id>', 'give a key a new secret; the old one works for a grace period')
    .option(
      '--grace <duration>',
      'how long the old secret keeps working: 0s, 30m, 24h (default 24h)',
      parseGrace,
    )
    .action(async (id: string, options: ConnectionOptions & { grace?: number }) => {
      const body = options.grace === undefined ? {} : { grace_seconds: Math.round(options.grace / 1000) };
      const key = record(await ctx.connect(options).post(`/keys${segment(id)}/rotate`, body));
      print(ctx, options, key, () =>
        [
          `key ${formatCell(key.id ?? id)} rotated; the old secret works until ${formatCell(key.previous_secret_valid_until)}`,
          'new secret (send it as "Authorization: Bearer <secret>"):',
          `  ${formatCell(key.key)}`,
        ].join('\n'),
      );
      ctx.err('keywarden: store this secret now: it will not be shown again.');
    });

  for (const [verb, description] of LIFECYCLE) {
    operatorCommand(keys, `${verb} <id>`, description).action(
      async (id: string, options: ConnectionOptions) => {
        const key = record(await ctx.connect(options).post(`/keys${segment(id)}/${verb}`));
        print(ctx, options, key, () => `key ${formatCell(key.id ?? id)} is now ${formatCell(key.status)}`);
      },
    );
  }
}

function keyTable(keys: Array<Record<string, unknown>>): string {
  if (keys.length === 0) return 'no keys';
  return formatTable(
    ['ID', 'NAME', 'PROJECT', 'PREFIX', 'STATUS', 'EXPIRES', 'LAST USED', 'PARENT', 'ROTATION DUE'],
    keys.map((key) => [
      formatCell(key.id),
      formatCell(key.name),
      formatCell(key.project),
      formatCell(key.prefix),
      formatCell(key.status),
      formatCell(key.expires_at),
      formatCell(key.last_used_at),
      formatCell(key.parent_id),
      rotationDue(key),
    ]),
  );
}

/** `0`, `0s` (end the old secret now) or a duration such as `30m`, `24h`. */
function parseGrace(value: string): number {
  return /^0[smhdw]?$/.test(value.trim()) ? 0 : parseDuration(value);
}
