import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway } from '../helpers/gateway.js';
import { oneErrorLine } from './cli-harness.js';
import { assertBuilt, cleanEnv, type Finished, freePort, runKeywarden } from './spawn-cli.js';

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** A provider secret that must never show up in any output. */
const UPSTREAM_SECRET = DEFAULT_OPENAI_KEY;

let gateway: Gateway;
let upstream: FakeUpstream;

beforeAll(async () => {
  assertBuilt();
  upstream = await startFakeUpstream();
  gateway = await startGateway();
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

/** `keywarden <args> --url <gateway>` as a separate process, with the gateway's admin token. */
function kw(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Finished> {
  return runKeywarden([...args, '--url', gateway.url], {
    env: cleanEnv({ KEYWARDEN_ADMIN_TOKEN: gateway.adminToken, ...options.env }),
    stdin: options.stdin,
  });
}

/** The JSON a successful `--json` run printed. */
function json<T = Record<string, unknown>>(run: Finished): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

describe('keywarden operator commands against a running gateway', () => {
  it('providers add|list|remove, with the secret from an env var or stdin and never echoed', async () => {
    const added = await kw(
      [
        'providers',
        'add',
        '--name',
        'openai',
        '--type',
        'openai',
        '--base-url',
        upstream.url,
        '--api-key-env',
        'UP_KEY',
      ],
      { env: { UP_KEY: UPSTREAM_SECRET } },
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/name: +openai/);

    const piped = await kw(
      [
        'providers',
        'add',
        '--name',
        'groq',
        '--type',
        'openai-compatible',
        '--base-url',
        upstream.url,
        '--api-key-stdin',
        '--json',
      ],
      { stdin: `${UPSTREAM_SECRET}\n` },
    );
    const groq = json<{ name: string; credentials: unknown[] }>(piped);
    expect(groq.name).toBe('groq');
    expect(groq.credentials).toHaveLength(1);

    const table = await kw(['providers', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID +NAME +TYPE +BASE URL +CREDENTIALS$/m);
    expect(table.stdout).toMatch(/ groq +openai-compatible /);

    const duplicate = await kw([
      'providers',
      'add',
      '--name',
      'groq',
      '--type',
      'openai',
      '--secret-ref',
      'env:X',
    ]);
    expect(duplicate.code).toBe(1);
    oneErrorLine(duplicate.stderr);

    const removed = await kw(['providers', 'remove', 'groq']);
    expect(removed.code).toBe(0);
    const names = json<{ data: Array<{ name: string }> }>(await kw(['providers', 'list', '--json'])).data.map(
      (provider) => provider.name,
    );
    expect(names).toEqual(['openai']);

    for (const run of [added, piped, table, duplicate, removed]) {
      expect(run.stdout + run.stderr).not.toContain(UPSTREAM_SECRET);
    }
  });

  it('projects create|list|show', async () => {
    const created = json<{ id: string; name: string }>(
      await kw(['projects', 'create', '--name', 'web', '--json']),
    );
    expect(created.name).toBe('web');

    const human = await kw(['projects', 'create', '--name', 'batch']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^project created\nid: +\S+\nname: +batch$/m);

    const list = await kw(['projects', 'list']);
    expect(list.stdout).toMatch(/^ID +NAME +CREATED$/m);
    expect(list.stdout).toMatch(new RegExp(`^${created.id} +web `, 'm'));

    expect(json(await kw(['projects', 'show', 'web', '--json']))).toMatchObject({
      id: created.id,
      name: 'web',
    });
    expect(json(await kw(['projects', 'show', created.id, '--json']))).toMatchObject({ name: 'web' });
  });

  it('keys create prints the secret once; show, list and the lifecycle never print it', async () => {
    const before = Date.now();
    const run = await kw([
      'keys',
      'create',
      '--project',
      'web',
      '--name',
      'checkout-bot',
      '--provider',
      'openai',
      '--models',
      'gpt-4o*',
      '--endpoints',
      'chat/completions',
      '--rpm',
      '60',
      '--budget',
      '5/day',
      '--budget',
      '50/month:soft',
      '--ttl',
      '2h',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/will not be shown again/);
    const created = JSON.parse(run.stdout) as { id: string; key: string };
    expect(created.key).toMatch(/^kw_[0-9A-Za-z]{38}$/);

    const stored = await gateway.admin('GET', `/admin/v1/keys/${created.id}`);
    expect(stored.body).toMatchObject({
      name: 'checkout-bot',
      project: 'web',
      default_provider: 'openai',
      scopes: { models: ['gpt-4o*'], endpoints: ['chat/completions'] },
      limits: {
        rpm: 60,
        budgets: [
          { usd: 5, period: 'day', soft: false },
          { usd: 50, period: 'month', soft: true },
        ],
      },
    });
    const expiresAt = Date.parse(String((stored.body as { expires_at: string }).expires_at));
    expect(expiresAt - before).toBeGreaterThanOrEqual(2 * 3_600_000 - 1_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(2 * 3_600_000 + 1_000);

    const show = await kw(['keys', 'show', created.id]);
    expect(show.stdout).toMatch(/status: +active/);
    expect(show.stdout).toMatch(/budgets: +\$5\/day, \$50\/month:soft/);
    const list = await kw(['keys', 'list', '--project', 'web']);
    expect(list.stdout).toMatch(new RegExp(`^${created.id} +checkout-bot +web `, 'm'));

    expect((await kw(['keys', 'suspend', created.id])).stdout).toBe(`key ${created.id} is now suspended\n`);
    expect((await kw(['keys', 'resume', created.id])).stdout).toBe(`key ${created.id} is now active\n`);
    const revoked = json<{ status: string }>(await kw(['keys', 'revoke', created.id, '--json']));
    expect(revoked.status).toBe('revoked');

    for (const output of [show.stdout, list.stdout, JSON.stringify(stored.body)]) {
      expect(output).not.toContain(created.key);
    }
  });

  it('usage shows what the gateway metered, grouped, with a totals line', async () => {
    const created = json<{ key: string }>(
      await kw([
        'keys',
        'create',
        '--project',
        'batch',
        '--name',
        'metered',
        '--provider',
        'openai',
        '--json',
      ]),
    );
    const response = await fetch(`${gateway.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await gateway.flushUsage();

    const grouped = json<{ data: Array<Record<string, unknown>>; totals: { requests: number } }>(
      await kw(['usage', '--project', 'batch', '--group-by', 'model', '--json']),
    );
    expect(grouped.data).toEqual([expect.objectContaining({ model: 'gpt-4o-mini', requests: 1 })]);
    expect(grouped.totals.requests).toBe(1);

    const table = await kw(['usage', '--project', 'batch', '--group-by', 'model']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODEL +REQUESTS +INPUT TOKENS +OUTPUT TOKENS +CACHED TOKENS +COST$/);
    expect(lines[1]).toMatch(/^gpt-4o-mini +1 +\d+ +5 +0 +(\$[\d.]+|n\/a)$/);
    expect(lines[2]).toMatch(/^total +1 +\d+ +5 +0 /);
  });
});

describe('keywarden operator command failures (spawned)', () => {
  it('an unknown key is one line, exit 1', async () => {
    const run = await kw(['keys', 'show', 'key_doesnotexist']);
    expect(run.code).toBe(1);
    oneErrorLine(run.stderr);
  });

  it('a wrong admin token is one line pointing at KEYWARDEN_ADMIN_TOKEN', async () => {
    const run = await kw(['projects', 'list'], { env: { KEYWARDEN_ADMIN_TOKEN: 'kwa_wrong' } });
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toMatch(/KEYWARDEN_ADMIN_TOKEN/);
  });

  it('a validation error names the field', async () => {
    const run = await kw([
      'keys',
      'create',
      '--project',
      'web',
      '--name',
      'bad-ip',
      '--ip-allow',
      'not-an-ip',
    ]);
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toMatch(/ip_allow/);
  });

  it('a usage error is exit 2 before anything is sent', async () => {
    const run = await kw(['keys', 'create', '--name', 'no-project']);
    expect(run.code).toBe(2);
    expect(oneErrorLine(run.stderr)).toMatch(/--project/);
  });

  it('no server at --url is one line, exit 1', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runKeywarden(['projects', 'list', '--url', url], {
      env: cleanEnv({ KEYWARDEN_ADMIN_TOKEN: 'kwa_whatever' }),
    });
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toBe(
      `keywarden: cannot reach keywarden at ${url}: is \`keywarden serve\` running?`,
    );
  });
});
