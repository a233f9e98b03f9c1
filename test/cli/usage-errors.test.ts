import { describe, expect, it } from 'vitest';
import { cli, oneErrorLine } from './cli-harness.js';

describe('usage errors exit 2 with one line and send nothing', () => {
  it.each([
    ['an unknown command', ['keyz', 'list'], /unknown command 'keyz' \(Did you mean keys\?\)/],
    ['an unknown subcommand', ['keys', 'lst'], /unknown command 'lst'/],
    ['an unknown flag', ['keys', 'list', '--colour'], /unknown option '--colour'/],
    ['a missing --project', ['keys', 'create', '--name', 'bot'], /required option '--project <id-or-name>'/],
    ['a missing --name', ['projects', 'create'], /required option '--name <name>'/],
    [
      'a bad --ttl',
      ['keys', 'create', '--project', 'web', '--name', 'b', '--ttl', '2y'],
      /--ttl.*30m, 2h or 7d/,
    ],
    [
      'a bad --budget',
      ['keys', 'create', '--project', 'web', '--name', 'b', '--budget', '5/year'],
      /--budget/,
    ],
    ['a bad --rpm', ['keys', 'create', '--project', 'web', '--name', 'b', '--rpm', '0'], /--rpm/],
    [
      '--ttl with --expires-at',
      [
        'keys',
        'create',
        '--project',
        'p',
        '--name',
        'b',
        '--ttl',
        '2h',
        '--expires-at',
        '2027-01-01T00:00:00Z',
      ],
      /cannot be used with/,
    ],
    ['a bad --group-by', ['usage', '--group-by', 'color'], /--group-by.*Allowed choices/],
    ['a bad --from', ['usage', '--from', 'yesterday'], /--from.*ISO 8601/],
    ['a bad --url', ['projects', 'list', '--url', 'localhost:8787'], /--url/],
    ['a bad provider --type', ['providers', 'add', '--name', 'x', '--type', 'gemini'], /--type/],
    ['a missing id', ['keys', 'revoke'], /missing required argument 'id'/],
    ['an extra argument', ['projects', 'list', 'web'], /too many arguments/],
  ])('%s', async (_, argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(oneErrorLine(run.stderr)).toMatch(message);
    expect(run.stdout).toBe('');
    expect(run.requests).toEqual([]);
  });

  it('refuses a raw provider secret as an argument (it would land in shell history)', async () => {
    const run = await cli([
      'providers',
      'add',
      '--name',
      'openai',
      '--type',
      'openai',
      '--api-key',
      'sk-live-123',
    ]);
    expect(run.code).toBe(2);
    expect(oneErrorLine(run.stderr)).toMatch(/unknown option '--api-key'/);
    expect(run.requests).toEqual([]);
  });

  it('wants exactly one source for a provider secret', async () => {
    const none = await cli(['providers', 'add', '--name', 'openai', '--type', 'openai']);
    expect(none.code).toBe(2);
    expect(oneErrorLine(none.stderr)).toMatch(/--api-key-env VAR, --secret-ref REF or --api-key-stdin/);

    const two = await cli([
      'providers',
      'add',
      '--name',
      'openai',
      '--type',
      'openai',
      '--api-key-env',
      'X',
      '--api-key-stdin',
    ]);
    expect(two.code).toBe(2);
    expect(oneErrorLine(two.stderr)).toMatch(/cannot be used with/);
    expect([...none.requests, ...two.requests]).toEqual([]);
  });
});

describe('help', () => {
  it('--help prints to stdout and exits 0', async () => {
    const run = await cli(['keys', 'create', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--budget <usd\/period>/);
    expect(run.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a command group without its subcommand shows its help and exits 2', async () => {
    const run = await cli(['keys']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Usage: keywarden keys/);
  });

  it('no command at all shows the help and exits 2', async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Usage: keywarden/);
  });
});
