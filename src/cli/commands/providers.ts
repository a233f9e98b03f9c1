import { type Command, Option } from 'commander';
import { segment } from '../admin-client.js';
import type { CliContext, CliIo, ConnectionOptions } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { formatCell, formatDetails, formatTable, listData, record } from '../output.js';
import { operatorCommand, print } from './operator.js';

const PROVIDER_TYPES = ['openai', 'anthropic', 'openai-compatible'];

interface AddOptions extends ConnectionOptions {
  name: string;
  type: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  secretRef?: string;
  apiKeyStdin?: boolean;
}

type RotateOptions = ConnectionOptions &
  Pick<AddOptions, 'apiKeyEnv' | 'secretRef' | 'apiKeyStdin' | 'type'> & { retire?: string };

/** Where a new credential's secret comes from: never a command-line argument. */
function secretOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--api-key-env <var>',
        'send the value of this environment variable as the API key',
      ).conflicts(['secretRef', 'apiKeyStdin']),
    )
    .addOption(
      new Option(
        '--secret-ref <ref>',
        'let the server resolve the key: env:NAME, file:/path, vault:mount/path#field, aws-sm:id#field',
      ).conflicts('apiKeyStdin'),
    )
    .option('--api-key-stdin', 'read the API key from stdin');
}

function listOf(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.map(record) : [];
}

function credentialTable(value: unknown): string {
  const list = listOf(value);
  if (list.length === 0) return 'no credentials (keyless provider)';
  return formatTable(
    ['CREDENTIAL', 'FINGERPRINT', 'STATUS', 'HEALTH', 'PRIORITY', 'WEIGHT', 'SOURCE', 'LAST ERROR'],
    list.map((c) => [
      formatCell(c.id),
      formatCell(c.fingerprint),
      formatCell(c.status),
      formatCell(c.health),
      formatCell(c.priority),
      formatCell(c.weight),
      formatCell(c.source),
      formatCell(c.last_error),
    ]),
  );
}

/** `keywarden providers add|list|show|rotate|refresh|remove`. */
export function registerProviders(program: Command, ctx: CliContext): void {
  const providers = program.command('providers').description('upstream AI APIs and their credentials');

  secretOptions(
    operatorCommand(
      providers,
      'add',
      'add a provider; its API key is read from an env var, a secret ref or stdin',
    )
      .requiredOption('--name <name>', 'name used in proxy paths, e.g. openai or groq')
      .addOption(new Option('--type <type>', 'API dialect').choices(PROVIDER_TYPES).makeOptionMandatory())
      .option('--base-url <url>', 'API root without the version, e.g. https://api.groq.com/openai'),
  ).action(async (options: AddOptions) => {
    const body: Record<string, unknown> = { name: options.name, type: options.type };
    if (options.baseUrl !== undefined) body.base_url = options.baseUrl;
    Object.assign(body, await credential(options, ctx.io));
    const provider = await ctx.connect(options).post('/providers', body);
    print(ctx, options, provider, () => `provider created\n${describe(record(provider))}`);
  });

  operatorCommand(providers, 'list', 'list providers').action(async (options: ConnectionOptions) => {
    const answer = await ctx.connect(options).get('/providers');
    print(ctx, options, answer, () => providerTable(listData(answer)));
  });

  operatorCommand(providers, 'show <id-or-name>', 'show a provider and the health of its credentials').action(
    async (idOrName: string, options: ConnectionOptions) => {
      const provider = record(await ctx.connect(options).get(`/providers${segment(idOrName)}`));
      print(
        ctx,
        options,
        provider,
        () => `${describe(provider)}\n\n${credentialTable(provider.credentials)}`,
      );
    },
  );

  secretOptions(
    operatorCommand(
      providers,
      'rotate <id-or-name>',
      'add a new credential, then retire the old ones (in-flight requests finish on them)',
    ),
  )
    .option('--retire <credential-id>', 'retire only this credential (default: every other active one)')
    .action(async (idOrName: string, options: RotateOptions) => {
      const client = ctx.connect(options);
      const path = `/providers${segment(idOrName)}`;
      const before = record(await client.get(path));
      const known = new Set(listOf(before.credentials).map((c) => c.id));
      const added = record(await client.post(`${path}/credentials`, await credential(options, ctx.io)));
      const fresh = listOf(added.credentials).find((c) => !known.has(c.id));
      const old = listOf(before.credentials).filter(
        (c) => c.status !== 'retired' && (options.retire === undefined || c.id === options.retire),
      );
      if (options.retire !== undefined && old.length === 0)
        throw new CliError(`provider ${idOrName} has no active credential ${options.retire}`);
      let answer: unknown = added;
      for (const c of old) answer = await client.delete(`${path}/credentials${segment(String(c.id))}`);
      print(ctx, options, answer, () =>
        [
          `credential ${formatCell(fresh?.id)} added; retired: ${old.map((c) => formatCell(c.id)).join(', ') || '-'}`,
          credentialTable(record(answer).credentials),
        ].join('\n'),
      );
    });

  operatorCommand(
    providers,
    'refresh <id-or-name>',
    'read referenced secrets (Vault, AWS, files) again and clear failing marks',
  ).action(async (idOrName: string, options: ConnectionOptions) => {
    const provider = record(await ctx.connect(options).post(`/providers${segment(idOrName)}/refresh`));
    print(
      ctx,
      options,
      provider,
      () => `provider ${idOrName} refreshed\n${credentialTable(provider.credentials)}`,
    );
  });

  operatorCommand(providers, 'remove <id-or-name>', 'remove a provider').action(
    async (idOrName: string, options: ConnectionOptions) => {
      const answer = await ctx.connect(options).delete(`/providers${segment(idOrName)}`);
      print(ctx, options, answer, () => `provider ${idOrName} removed`);
    },
  );
}

/**
 * The provider's secret never travels as a command-line argument (it would land in shell history
 * and `ps`): it comes from an env var of this process, a reference the server resolves, or stdin.
 */
async function credential(options: Omit<AddOptions, 'name'>, io: CliIo): Promise<Record<string, string>> {
  if (options.apiKeyEnv !== undefined) {
    const value = io.env[options.apiKeyEnv]?.trim();
    if (!value) throw new CliError(`environment variable ${options.apiKeyEnv} is not set or empty`);
    return { api_key: value };
  }
  if (options.secretRef !== undefined) return { secret_ref: options.secretRef };
  if (options.apiKeyStdin) {
    const value = (await readAll(io)).trim();
    if (!value) throw new CliError('no API key on stdin');
    return { api_key: value };
  }
  // Local model servers (Ollama, vLLM) usually take no key at all.
  if (options.type === 'openai-compatible') return {};
  throw new UsageError('one of --api-key-env VAR, --secret-ref REF or --api-key-stdin is required');
}

async function readAll(io: CliIo): Promise<string> {
  const stdin = io.stdin;
  if (!stdin) throw new CliError('stdin is not available');
  if (stdin.isTTY) io.stderr.write('Paste the API key, then press Enter and Ctrl-D:\n');
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function providerTable(providers: Array<Record<string, unknown>>): string {
  if (providers.length === 0) return 'no providers';
  return formatTable(
    ['ID', 'NAME', 'TYPE', 'BASE URL', 'CREDENTIALS'],
    providers.map((p) => [
      formatCell(p.id),
      formatCell(p.name),
      formatCell(p.type),
      formatCell(p.base_url),
      credentials(p.credentials),
    ]),
  );
}

function describe(provider: Record<string, unknown>): string {
  return formatDetails([
    ['id', provider.id],
    ['name', provider.name],
    ['type', provider.type],
    ['base url', provider.base_url],
    ['credentials', credentials(provider.credentials)],
  ]);
}

/** `fp1 (active), fp2 (retiring)`: fingerprints only, the secrets never leave the server. */
function credentials(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) return '-';
  return value
    .map((item) => {
      const credential = record(item);
      const state = [credential.status, credential.health === 'failing' ? 'FAILING' : undefined].filter(
        Boolean,
      );
      const status = state.length === 0 ? '' : ` (${state.map(formatCell).join(', ')})`;
      return `${formatCell(credential.fingerprint)}${status}`;
    })
    .join(', ');
}
