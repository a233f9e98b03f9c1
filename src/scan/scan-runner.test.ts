import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { commitAll, git, gitRepo, scratchDir, write } from '../../test/helpers/scratch-repo.js';
import { issueSecret } from '../domain/key-format.js';
import { loadAllowlist, parseAllowlist } from './allowlist.js';
import { DEFAULT_RULES } from './default-rules.js';
import { fingerprintOf } from './findings.js';
import { compileRules } from './rules.js';
import { type ScanOptions, scanGitHistory, scanStaged, scanStream, scanTree } from './scan-runner.js';

const GROQ = `gsk_${'aB3'.repeat(17)}x`;
const GROQ_2 = `gsk_${'Zq9'.repeat(17)}y`;
const rules = compileRules(DEFAULT_RULES);
const none: ScanOptions = { rules, allowlist: { allows: () => false } };

const where = (findings: Array<{ path: string; line: number; ruleId: string }>) =>
  findings.map((f) => `${f.path}:${f.line} ${f.ruleId}`);

describe('scan › working tree', () => {
  it('reports path, line and column, honours .gitignore and skips binary files', async () => {
    const root = gitRepo();
    write(root, 'src/app.ts', `// config\nconst groq = '${GROQ}';\n`);
    write(root, '.gitignore', 'secrets.env\nbuild/\n');
    write(root, 'secrets.env', `GROQ=${GROQ_2}\n`);
    write(root, 'build/out.js', `x="${GROQ_2}"`);
    write(root, 'logo.png', Buffer.concat([Buffer.from([0x89, 0x50, 0, 0]), Buffer.from(GROQ_2)]));
    const report = await scanTree(root, none);
    expect(where(report.findings)).toEqual(['src/app.ts:2 groq-api-key']);
    expect(report.findings[0]?.column).toBe(15);
    expect(report.binary).toBe(1);
  });

  it('honours .gitignore outside git too, in nested directories', async () => {
    const root = scratchDir();
    write(root, '.gitignore', '*.log\n');
    write(root, 'a/.gitignore', 'private/\n');
    write(root, 'a/private/k.txt', GROQ);
    write(root, 'a/debug.log', GROQ);
    write(root, 'a/public.txt', GROQ);
    expect(where((await scanTree(root, none)).findings)).toEqual(['a/public.txt:1 groq-api-key']);
  });

  it('follows no symlink out of the tree', async () => {
    const outside = scratchDir();
    write(outside, 'outside.txt', GROQ_2);
    const root = scratchDir();
    write(root, 'inside.txt', GROQ);
    symlinkSync(join(outside, 'outside.txt'), join(root, 'link.txt'));
    symlinkSync(outside, join(root, 'linkdir'));
    expect(where((await scanTree(root, none)).findings)).toEqual(['inside.txt:1 groq-api-key']);
  });

  it('streams a large file and finds keys across chunk boundaries with the right line numbers', async () => {
    const root = scratchDir();
    const line = `${'filler '.repeat(13)}\n`;
    const lines: string[] = [];
    const planted: number[] = [];
    for (let i = 1; i <= 200_000; i++) {
      if (i % 20_000 === 0) {
        lines.push(`key = "${GROQ}"\n`);
        planted.push(i);
      } else lines.push(line);
    }
    write(root, 'big.txt', lines.join(''));
    const report = await scanTree(root, none);
    expect(report.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(report.findings.map((f) => f.line)).toEqual(planted);
  });

  it('drops findings allowed inline, by fingerprint or by path', async () => {
    const root = scratchDir();
    write(root, 'a.ts', `const k = '${GROQ}'; // keywarden:allow\nconst j = '${GROQ_2}';\n`);
    write(root, 'fixtures/test.ts', `const k = '${GROQ_2}';\n`);
    expect(where((await scanTree(root, none)).findings)).toEqual([
      'a.ts:2 groq-api-key',
      'fixtures/test.ts:1 groq-api-key',
    ]);
    write(root, '.keywarden-allow', `# test fixtures\nfixtures/\n${fingerprintOf(GROQ_2)}\n`);
    const report = await scanTree(root, { rules, allowlist: loadAllowlist(undefined, root) });
    expect(report.findings).toEqual([]);
    expect(report.allowed).toBe(3);
  });

  it('keeps kw_ strings only when their checksum is valid', async () => {
    const root = scratchDir();
    const real = issueSecret('key').secret;
    write(root, 'a.env', `GOOD=${real}\nBAD=kw_${'a1B2'.repeat(9)}zz\n`);
    const report = await scanTree(root, none);
    expect(report.findings.map((f) => [f.ruleId, f.line, f.redacted])).toEqual([
      ['keywarden-key', 1, `kw_...${real.slice(-4)}`],
    ]);
  });
});

describe('scan › stdin', () => {
  it('scans a stream as <stdin>', async () => {
    const report = await scanStream(Readable.from([`a\nb ${GROQ}\n`]), none);
    expect(where(report.findings)).toEqual(['<stdin>:2 groq-api-key']);
  });
});

describe('scan › git history', () => {
  it('finds a key added in one commit and deleted in a later one, with commit, date, path, line', async () => {
    const repo = gitRepo();
    write(repo, 'README.md', 'hello\n');
    commitAll(repo, 'first', '2024-03-01T10:00:00Z');
    write(repo, 'src/config.ts', `export const a = 1;\nexport const key = '${GROQ}';\n`);
    const leaking = commitAll(repo, 'add config', '2024-03-02T10:00:00Z');
    write(repo, 'src/config.ts', 'export const a = 1;\nexport const key = process.env.GROQ_KEY;\n');
    commitAll(repo, 'remove the key', '2024-03-03T10:00:00Z');

    expect((await scanTree(repo, none)).findings).toEqual([]);
    const report = await scanGitHistory(repo, none);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      path: 'src/config.ts',
      line: 2,
      ruleId: 'groq-api-key',
      git: { commit: leaking, authorDate: '2024-03-02T10:00:00+00:00' },
    });
  });

  it('reports a key that stays in a file through later edits once, at the commit that added it', async () => {
    const repo = gitRepo();
    write(repo, 'app.py', `KEY = "${GROQ}"\n`);
    const added = commitAll(repo, 'add', '2024-05-01T00:00:00Z');
    for (let i = 1; i <= 3; i++) {
      write(repo, 'app.py', `${'# note\n'.repeat(i)}KEY = "${GROQ}"\n`);
      commitAll(repo, `edit ${i}`, `2024-05-0${i + 1}T00:00:00Z`);
    }
    const report = await scanGitHistory(repo, none);
    expect(report.sources).toBe(4);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ line: 1, git: { commit: added } });
  });

  it('sees every ref: a key only on another branch is found, and a blob is reported once', async () => {
    const repo = gitRepo();
    write(repo, 'a.txt', 'base\n');
    commitAll(repo, 'base');
    git(repo, 'checkout', '-q', '-b', 'feature');
    write(repo, 'a.txt', `base\n${GROQ}\n`);
    write(repo, 'copy.txt', `base\n${GROQ}\n`);
    commitAll(repo, 'feature work');
    git(repo, 'checkout', '-q', 'main');
    const report = await scanGitHistory(repo, none);
    // Same content at two paths is one blob: read once, reported once.
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]?.line).toBe(2);
  });
});

describe('scan › staged changes', () => {
  it('reports only added lines, at their line numbers in the staged file', async () => {
    const repo = gitRepo();
    write(repo, 'old.ts', `const old = '${GROQ_2}';\n`);
    commitAll(repo, 'old secret already committed');
    write(repo, 'new.ts', `line 1\nline 2\nconst k = '${GROQ}';\n`);
    write(repo, 'unstaged.ts', `const u = '${GROQ}';\n`);
    git(repo, 'add', 'new.ts');
    const report = await scanStaged(repo, none);
    expect(where(report.findings)).toEqual(['new.ts:3 groq-api-key']);
  });
});

describe('allowlist file', () => {
  it('treats 20-hex lines as fingerprints and the rest as gitignore-style paths', () => {
    const list = parseAllowlist('# comment\n0123456789abcdef0123\ndocs/**/*.md\n');
    expect(list.allows('0123456789abcdef0123', 'anything.ts')).toBe(true);
    expect(list.allows('ffffffffffffffffffff', 'docs/guide/keys.md')).toBe(true);
    expect(list.allows('ffffffffffffffffffff', 'src/keys.ts')).toBe(false);
  });
});
