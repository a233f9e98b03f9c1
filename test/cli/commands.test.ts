import { describe, expect, it } from 'vitest';
import { cli, oneErrorLine } from './cli-harness.js';
import { freePort } from './spawn-cli.js';

const KEY_VIEW = {
  id: 'key_1',
  name: 'bot',
  project: 'web',
  project_id: 'prj_1',
  prefix: 'kw_AbCd',
  status: 'active',
  default_provider: 'openai',
  scopes: { providers: [], models: ['gpt-4o*'], endpoints: [] },
  ip_allow: [],
  limits: { rpm: 60, budgets: [{ usd: 5, period: 'day', soft: false }] },
  expires_at: '2026-03-01T14:00:00.000Z',
  created_at: '2026-03-01T12:00:00.000Z',
  last_used_at: null,
};

describe('keys create', () => {
  it('sends the flags as the admin API body', async () => {
    const run = await cli(
      [
        'keys',
        'create',
        '--project',
        'web',
        '--name',
        'checkout-bot',
        '--provider',
        'openai',
        '--providers',
        'openai,groq',
        '--models',
        'gpt-4o*, gpt-4.1-mini',
        '--endpoints',
        'chat/completions',
        '--ip-allow',
        '10.0.0.0/8',
        '--ttl',
        '2h',
        '--rpm',
        '60',
        '--tpm',
        '100000',
        '--concurrency',
        '10',
        '--max-tokens',
        '4096',
        '--budget',
        '5/day',
        '--budget',
        '50/month:soft',
        '--url',
        'http://gateway.test:9000/',
      ],
      {
        now: Date.parse('2026-03-01T12:00:00Z'),
        respond: () => ({ status: 201, body: { ...KEY_VIEW, key: 'kw_s3cret' } }),
      },
    );
    expect(run.code).toBe(0);
    const [request] = run.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.href).toBe('http://gateway.test:9000/admin/v1/keys');
    expect(request?.headers.get('authorization')).toBe('Bearer kwa_test');
    expect(request?.body).toEqual({
      name: 'checkout-bot',
      project: 'web',
      default_provider: 'openai',
      scopes: {
        providers: ['openai', 'groq'],
        models: ['gpt-4o*', 'gpt-4.1-mini'],
        endpoints: ['chat/completions'],
      },
      ip_allow: ['10.0.0.0/8'],
      expires_at: '2026-03-01T14:00:00.000Z',
      limits: {
        rpm: 60,
        tpm: 100000,
        concurrency: 10,
        max_tokens: 4096,
        budgets: [
          { usd: 5, period: 'day', soft: false },
          { usd: 50, period: 'month', soft: true },
        ],
      },
    });
  });

  it('leaves out what was not asked for, so the server defaults apply', async () => {
    const run = await cli(
      ['keys', 'create', '--project', 'web', '--name', 'bot', '--expires-at', '2027-01-01'],
      {
        respond: () => ({ status: 201, body: { ...KEY_VIEW, key: 'kw_s3cret' } }),
      },
    );
    expect(run.requests[0]?.body).toEqual({
      name: 'bot',
      project: 'web',
      expires_at: '2027-01-01T00:00:00.000Z',
    });
  });

  it('prints the secret once, with a warning on stderr', async () => {
    const run = await cli(['keys', 'create', '--project', 'web', '--name', 'bot'], {
      respond: () => ({ status: 201, body: { ...KEY_VIEW, key: 'kw_s3cret' } }),
    });
    expect(run.stdout).toMatch(/^ {2}kw_s3cret$/m);
    expect(run.stdout).toMatch(/budgets: +\$5\/day/);
    expect(run.stdout).toMatch(/models: +gpt-4o\*/);
    expect(run.stdout).toMatch(/providers: +any/);
    expect(run.stderr).toMatch(/will not be shown again/);
  });

  it('--json prints the API answer as-is', async () => {
    const body = { ...KEY_VIEW, key: 'kw_s3cret' };
    const run = await cli(['keys', 'create', '--project', 'web', '--name', 'bot', '--json'], {
      respond: () => ({ status: 201, body }),
    });
    expect(JSON.parse(run.stdout)).toEqual(body);
    expect(run.stdout).toBe(`${JSON.stringify(body, null, 2)}\n`);
  });
});

describe('providers add', () => {
  const base = ['providers', 'add', '--name', 'openai', '--type', 'openai'];
  const created = {
    id: 'prv_1',
    name: 'openai',
    type: 'openai',
    base_url: 'https://api.openai.com',
    credentials: [{ id: 'crd_1', fingerprint: 'a1b2c3', status: 'active' }],
  };

  it('--api-key-env sends the variable value, never prints it', async () => {
    const run = await cli([...base, '--api-key-env', 'MY_OPENAI_KEY'], {
      env: { MY_OPENAI_KEY: 'sk-live-123\n' },
      respond: () => ({ status: 201, body: created }),
    });
    expect(run.code).toBe(0);
    expect(run.requests[0]?.body).toEqual({ name: 'openai', type: 'openai', api_key: 'sk-live-123' });
    expect(run.stdout).toMatch(/a1b2c3 \(active\)/);
    expect(run.stdout + run.stderr).not.toContain('sk-live-123');
  });

  it('--api-key-env naming an unset variable fails before calling the server', async () => {
    const run = await cli([...base, '--api-key-env', 'NOPE']);
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toBe('keywarden: environment variable NOPE is not set or empty');
    expect(run.requests).toEqual([]);
  });

  it('--api-key-stdin reads the secret from stdin', async () => {
    const run = await cli([...base, '--base-url', 'https://proxy.example/openai', '--api-key-stdin'], {
      stdin: 'sk-from-stdin\n',
      respond: () => ({ status: 201, body: created }),
    });
    expect(run.requests[0]?.body).toEqual({
      name: 'openai',
      type: 'openai',
      base_url: 'https://proxy.example/openai',
      api_key: 'sk-from-stdin',
    });
  });

  it('--secret-ref lets the server resolve the secret', async () => {
    const run = await cli([...base, '--secret-ref', 'file:/run/secrets/openai'], {
      respond: () => ({ status: 201, body: created }),
    });
    expect(run.requests[0]?.body).toEqual({
      name: 'openai',
      type: 'openai',
      secret_ref: 'file:/run/secrets/openai',
    });
  });
});

describe('reads and lifecycle', () => {
  it('names go into the path encoded', async () => {
    const run = await cli(['projects', 'show', 'my team/web'], {
      respond: () => ({ body: { id: 'prj_1', name: 'my team/web' } }),
    });
    expect(run.requests[0]?.url.pathname).toBe('/admin/v1/projects/my%20team%2Fweb');
    expect(run.stdout).toMatch(/name: +my team\/web/);
  });

  it('keys list filters by project and prints a table', async () => {
    const run = await cli(['keys', 'list', '--project', 'web'], {
      respond: () => ({ body: { data: [KEY_VIEW] } }),
    });
    expect(run.requests[0]?.url.search).toBe('?project=web');
    const [header, row] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +NAME +PROJECT +PREFIX +STATUS +EXPIRES +LAST USED +PARENT +ROTATION DUE$/);
    expect(row).toMatch(/^key_1 +bot +web +kw_AbCd +active +2026-03-01T14:00:00.000Z +- +- +-$/);
    expect(header?.indexOf('STATUS')).toBe(row?.indexOf('active'));
  });

  it('an empty list says so', async () => {
    const run = await cli(['providers', 'list'], { respond: () => ({ body: { data: [] } }) });
    expect(run.stdout).toBe('no providers\n');
  });

  it.each(['revoke', 'suspend', 'resume'])(
    'keys %s posts to the key and reports its status',
    async (verb) => {
      const status = { revoke: 'revoked', suspend: 'suspended', resume: 'active' }[verb];
      const run = await cli(['keys', verb, 'key_1'], { respond: () => ({ body: { ...KEY_VIEW, status } }) });
      expect(run.requests[0]?.method).toBe('POST');
      expect(run.requests[0]?.url.pathname).toBe(`/admin/v1/keys/key_1/${verb}`);
      expect(run.stdout).toBe(`key key_1 is now ${status}\n`);
    },
  );

  it('providers remove deletes by id or name', async () => {
    const run = await cli(['providers', 'remove', 'groq'], { respond: () => ({ status: 204 }) });
    expect(run.requests[0]?.method).toBe('DELETE');
    expect(run.requests[0]?.url.pathname).toBe('/admin/v1/providers/groq');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('provider groq removed\n');
  });
});

describe('usage', () => {
  const answer = {
    data: [
      {
        model: 'gpt-4o-mini',
        requests: 3,
        input_tokens: 1200,
        output_tokens: 300,
        cached_tokens: 0,
        cost_usd: 0.00036,
      },
      {
        model: 'mystery-1',
        requests: 1,
        input_tokens: 10,
        output_tokens: 5,
        cached_tokens: 0,
        cost_usd: null,
      },
    ],
    totals: { requests: 4, input_tokens: 1210, output_tokens: 305, cached_tokens: 0, cost_usd: 0.00036 },
  };

  it('passes filters through and prints groups and a totals line', async () => {
    const run = await cli(
      ['usage', '--project', 'web', '--from', '2026-03-01T00:00:00Z', '--group-by', 'model'],
      { respond: () => ({ body: answer }) },
    );
    const query = run.requests[0]?.url.searchParams;
    expect(query?.get('project')).toBe('web');
    expect(query?.get('from')).toBe('2026-03-01T00:00:00.000Z');
    expect(query?.get('group_by')).toBe('model');
    expect(query?.has('to')).toBe(false);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODEL +REQUESTS +INPUT TOKENS +OUTPUT TOKENS +CACHED TOKENS +COST$/);
    expect(lines[1]).toMatch(/^gpt-4o-mini +3 +1,200 +300 +0 +\$0\.00036$/);
    expect(lines[2]).toMatch(/^mystery-1 .* n\/a$/);
    expect(lines[3]).toMatch(/^total +4 +1,210 +305 +0 +\$0\.00036$/);
  });

  it('without --group-by prints the totals alone', async () => {
    const run = await cli(['usage'], { respond: () => ({ body: { data: [], totals: answer.totals } }) });
    expect(run.requests[0]?.url.search).toBe('');
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(run.stdout).toMatch(/^total +4 /m);
  });
});

describe('admin API failures are one line, exit 1', () => {
  it('shows the error envelope message and field', async () => {
    const run = await cli(['keys', 'create', '--project', 'web', '--name', 'bot'], {
      respond: () => ({
        status: 400,
        body: {
          error: { code: 'validation_error', message: 'must be at most 1000000', field: 'limits.tpm' },
        },
      }),
    });
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toBe('keywarden: must be at most 1000000 (field: limits.tpm)');
    expect(run.stdout).toBe('');
  });

  it('does not repeat a field the message already names, and keeps multi-line messages on one line', async () => {
    const run = await cli(['projects', 'show', 'nope'], {
      respond: () => ({
        status: 404,
        body: { error: { code: 'not_found', message: 'project nope\nnot found', field: 'project' } },
      }),
    });
    expect(oneErrorLine(run.stderr)).toBe('keywarden: project nope not found');
  });

  it('points at the admin token on 401', async () => {
    const run = await cli(['projects', 'list'], {
      respond: () => ({
        status: 401,
        body: { error: { code: 'invalid_admin_token', message: 'invalid admin token' } },
      }),
    });
    expect(oneErrorLine(run.stderr)).toBe('keywarden: invalid admin token: check KEYWARDEN_ADMIN_TOKEN');
  });

  it('names the status when the body is not an error envelope', async () => {
    const run = await cli(['keys', 'show', 'key_9'], {
      respond: () => ({ status: 502, body: 'bad gateway' }),
    });
    expect(oneErrorLine(run.stderr)).toBe('keywarden: GET /admin/v1/keys/key_9 failed: HTTP 502 Bad Gateway');
  });

  it('needs KEYWARDEN_ADMIN_TOKEN', async () => {
    const run = await cli(['projects', 'list'], { env: { KEYWARDEN_ADMIN_TOKEN: undefined } });
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toMatch(/^keywarden: KEYWARDEN_ADMIN_TOKEN is not set/);
    expect(run.requests).toEqual([]);
  });

  it('says when nothing listens at --url', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await cli(['projects', 'list', '--url', url], { realFetch: true });
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toBe(
      `keywarden: cannot reach keywarden at ${url}: is \`keywarden serve\` running?`,
    );
  });

  it('prints the stack only with --debug', async () => {
    const respond = () => ({ status: 404, body: { error: { code: 'not_found', message: 'no such key' } } });
    const quiet = await cli(['keys', 'show', 'key_9'], { respond });
    expect(oneErrorLine(quiet.stderr)).toBe('keywarden: no such key');
    const debug = await cli(['--debug', 'keys', 'show', 'key_9'], { respond });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^keywarden: no such key\n.*AdminApiError/);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('usage by key', () => {
  it('shows the key name beside its id and counts unpriced requests', async () => {
    const row = { requests: 2, input_tokens: 10, output_tokens: 10, cached_tokens: 0 };
    const run = await cli(['usage', '--group-by', 'key'], {
      respond: () => ({
        body: {
          data: [{ key: 'key_1', key_name: 'bot', ...row, cost_usd: 0.5, unpriced_requests: 1 }],
          totals: { ...row, cost_usd: 0.5, unpriced_requests: 1 },
        },
      }),
    });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY +NAME +REQUESTS /);
    expect(lines[1]).toMatch(/^key_1 +bot +2 +10 +10 +0 +\$0\.50$/);
    expect(lines[2]).toMatch(/^total +2 +10 /);
    expect(lines[3]).toBe('1 request(s) used models without a price: COST leaves them out');
  });
});
