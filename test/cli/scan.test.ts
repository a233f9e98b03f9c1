import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/domain/key-format.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { commitAll, git, gitRepo, scratchDir, write } from '../helpers/scratch-repo.js';
import { cli, oneErrorLine } from './cli-harness.js';
import { assertBuilt } from './spawn-cli.js';

const GROQ = `gsk_${'aB3'.repeat(17)}x`;

describe('keywarden scan', () => {
  it('exits 0 with a summary when nothing is found', async () => {
    const root = scratchDir();
    write(root, 'a.ts', 'const key = process.env.OPENAI_API_KEY; // sk-... YOUR_API_KEY\n');
    const run = await cli(['scan', root]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^no secrets found in 1 file /);
  });

  it('exits 1 when something is found, the report on stdout and one line on stderr', async () => {
    const root = scratchDir();
    write(root, 'a.ts', `const key = '${GROQ}';\n`);
    const run = await cli(['scan', root, '--format', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings).toMatchObject([
      { rule_id: 'groq-api-key', path: 'a.ts', line: 1 },
    ]);
    expect(oneErrorLine(run.stderr)).toBe('keywarden: 1 secret found');
    expect(run.stdout).not.toContain(GROQ);
  });

  it('scans standard input with --stdin', async () => {
    const run = await cli(['scan', '--stdin', '--json'], { stdin: `token=${GROQ}\n` });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings[0]).toMatchObject({ path: '<stdin>', line: 1 });
  });

  it('adds rules from --rules and refuses a broken rules file with one line', async () => {
    const root = scratchDir();
    write(root, 'a.txt', 'acme_9f3a1c7e5b2d4f6a8c0e\n');
    write(
      root,
      'rules.yaml',
      "rules:\n  - id: acme\n    description: ACME\n    severity: low\n    anchor: acme_\n    pattern: 'acme_[0-9a-f]{20}'\n",
    );
    write(root, 'broken.yaml', 'rules:\n  - id: broken\n    severity: urgent\n');
    expect((await cli(['scan', join(root, 'a.txt'), '--rules', join(root, 'rules.yaml')])).code).toBe(1);
    const broken = await cli(['scan', root, '--rules', join(root, 'broken.yaml')]);
    expect(broken.code).toBe(1);
    expect(oneErrorLine(broken.stderr)).toMatch(/rule "broken": severity/);
  });

  it('--git outside a git repository fails with one line', async () => {
    const run = await cli(['scan', scratchDir(), '--git']);
    expect(run.code).toBe(1);
    expect(oneErrorLine(run.stderr)).toMatch(/not a git repository$/);
  });

  it('refuses --git with --stdin as a usage error', async () => {
    expect((await cli(['scan', '--git', '--stdin'])).code).toBe(2);
  });
});

describe('keywarden scan --install-hook', () => {
  beforeAll(assertBuilt);

  it('installs a pre-commit hook that blocks a commit adding a secret and lets a clean one through', async () => {
    const repo = gitRepo();
    write(repo, 'README.md', 'hello\n');
    commitAll(repo, 'first');
    const run = await cli(['scan', repo, '--install-hook']);
    expect(run.code).toBe(0);
    const hook = readFileSync(join(repo, '.git/hooks/pre-commit'), 'utf8');
    expect(hook).toContain('scan');

    write(repo, 'config.ts', `export const key = '${GROQ}';\n`);
    git(repo, 'add', 'config.ts');
    let failure: { status?: number; stderr?: string } | undefined;
    try {
      git(repo, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'leak');
    } catch (error) {
      failure = error as { status?: number; stderr?: string };
    }
    expect(failure?.status).toBe(1);
    // git shows a hook's output on stderr.
    expect(failure?.stderr).toContain('config.ts');
    expect(failure?.stderr).not.toContain(GROQ);
    expect(git(repo, 'log', '--oneline')).not.toContain('leak');

    write(repo, 'config.ts', 'export const key = process.env.GROQ_API_KEY;\n');
    git(repo, 'add', 'config.ts');
    git(repo, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'clean');
    expect(git(repo, 'log', '--oneline')).toContain('clean');
  });

  it('does not overwrite a hook it did not write, unless --force', async () => {
    const repo = gitRepo();
    write(repo, '.git/hooks/pre-commit', '#!/bin/sh\necho mine\n');
    const refused = await cli(['scan', repo, '--install-hook']);
    expect(refused.code).toBe(1);
    expect(oneErrorLine(refused.stderr)).toMatch(/already exists/);
    expect((await cli(['scan', repo, '--install-hook', '--force'])).code).toBe(0);
  });
});

describe('keywarden scan --revoke', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ captureLogs: true });
    await gateway.admin('POST', '/admin/v1/projects', { name: 'web' });
    const provider = await gateway.admin('POST', '/admin/v1/providers', {
      name: 'openai',
      type: 'openai',
      base_url: 'http://127.0.0.1:9',
      api_key: 'sk-upstream-never-reached',
    });
    expect(provider.status).toBe(201);
  });
  afterAll(() => gateway.stop());

  it('revokes the live keywarden keys found, sending only their hash, and says where each was found', async () => {
    const leaked = (
      await gateway.admin('POST', '/admin/v1/keys', {
        name: 'leaky',
        project: 'web',
        default_provider: 'openai',
      })
    ).body;
    const safe = (await gateway.admin('POST', '/admin/v1/keys', { name: 'safe', project: 'web' })).body;
    const repo = gitRepo();
    write(repo, 'src/settings.py', `\nKEYWARDEN_KEY = "${leaked.key}"\n`);
    commitAll(repo, 'oops');

    const run = await cli(['scan', repo, '--git', '--revoke', '--url', gateway.url], {
      env: { KEYWARDEN_ADMIN_TOKEN: gateway.adminToken },
      realFetch: true,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`revoked key ${leaked.id} found at src/settings.py:2 (commit `);
    expect(run.stderr).not.toContain(leaked.key);

    const after = await gateway.admin('GET', `/admin/v1/keys/${leaked.id}`);
    expect(after.body.status).toBe('revoked');
    expect((await gateway.admin('GET', `/admin/v1/keys/${safe.id}`)).body.status).toBe('active');
    const logged = gateway.logs.join('');
    expect(logged).toContain(
      `key ${leaked.id} revoked: leaked: reported by keywarden scan at src/settings.py:2`,
    );
    expect(logged).not.toContain(leaked.key);

    const client = new OpenAI({ apiKey: leaked.key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(client.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it('the admin API refuses a report that is not a SHA-256', async () => {
    const answer = await gateway.admin('POST', '/admin/v1/leaks', { reports: [{ token_hash: 'kw_abc' }] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_error');
    const unknown = await gateway.admin('POST', '/admin/v1/leaks', {
      reports: [{ token_hash: hashSecret('kw_nothing'), location: 'x' }],
    });
    expect(unknown.body.data).toMatchObject([{ outcome: 'unknown', id: null }]);
  });
});
