import { type Command, Option } from 'commander';
import type { CliContext, ConnectionOptions } from '../context.js';
import { formatCell, record } from '../output.js';
import { parseDuration, parseList, parseTimestamp } from '../parse.js';
import { describeKey } from './key-view.js';
import { addLimitOptions, type LimitOptions, limitsFrom } from './limit-options.js';
import { operatorCommand, print } from './operator.js';

export interface KeysCreateOptions extends ConnectionOptions, LimitOptions {
  project: string;
  name: string;
  provider?: string;
  providers?: string[];
  models?: string[];
  endpoints?: string[];
  ipAllow?: string[];
  expiresAt?: string;
  ttl?: number;
  canDelegate?: boolean;
  maxAge?: number;
}

/** `keywarden keys create`: the one time a key's secret is shown. */
export function registerKeysCreate(keys: Command, ctx: CliContext): void {
  const command = operatorCommand(keys, 'create', 'create a key and print its secret once')
    .requiredOption('--project <id-or-name>', 'project that owns the key')
    .requiredOption('--name <name>', 'name of the app or agent using it')
    .option('--provider <name>', 'default provider for /v1/... requests')
    .option('--providers <list>', 'allowed providers, comma-separated (default: any)', parseList)
    .option('--models <globs>', "allowed models, e.g. 'gpt-4o*,claude-*' (default: any)", parseList)
    .option(
      '--endpoints <list>',
      "allowed endpoints, e.g. 'chat/completions,embeddings' (default: any)",
      parseList,
    )
    .option('--ip-allow <cidrs>', 'client addresses allowed, comma-separated CIDRs (default: any)', parseList)
    .option('--expires-at <time>', 'expiry as ISO 8601, e.g. 2027-01-01T00:00:00Z', parseTimestamp)
    .addOption(
      new Option('--ttl <duration>', 'expiry from now: 30m, 2h, 7d')
        .argParser(parseDuration)
        .conflicts('expiresAt'),
    )
    .option('--can-delegate', 'let this key mint narrower child keys for sub-agents (POST /v1/keys/delegate)')
    .option(
      '--max-age <duration>',
      'rotation policy: the key is due for rotation after 90d, ...',
      parseDuration,
    );
  addLimitOptions(command).action(async (options: KeysCreateOptions) => {
    const key = record(await ctx.connect(options).post('/keys', keyBody(options, ctx.now())));
    print(ctx, options, key, () =>
      [
        `key created\n${describeKey(key)}`,
        '',
        'secret (send it as "Authorization: Bearer <secret>"):',
        `  ${formatCell(key.key)}`,
      ].join('\n'),
    );
    ctx.err('keywarden: store this secret now: it will not be shown again.');
  });
}

/** The `POST /admin/v1/keys` body; fields the user did not give are left out (server defaults). */
export function keyBody(options: KeysCreateOptions, now: number): Record<string, unknown> {
  const body: Record<string, unknown> = { name: options.name, project: options.project };
  if (options.provider !== undefined) body.default_provider = options.provider;

  const scopes = defined({
    providers: options.providers,
    models: options.models,
    endpoints: options.endpoints,
  });
  if (scopes) body.scopes = scopes;
  if (options.ipAllow !== undefined) body.ip_allow = options.ipAllow;

  if (options.ttl !== undefined) body.expires_at = new Date(now + options.ttl).toISOString();
  else if (options.expiresAt !== undefined) body.expires_at = options.expiresAt;

  const limits = limitsFrom(options);
  if (limits) body.limits = limits;
  if (options.canDelegate) body.can_delegate = true;
  if (options.maxAge !== undefined)
    body.rotation_policy = { max_age_seconds: Math.round(options.maxAge / 1000) };
  return body;
}

/** The fields that are set, or undefined when none is. */
function defined(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  const set = Object.entries(fields).filter(([, value]) => value !== undefined);
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}
