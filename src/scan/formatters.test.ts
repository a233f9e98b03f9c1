import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { commitAll, gitRepo, write } from '../../test/helpers/scratch-repo.js';
import { issueSecret } from '../domain/key-format.js';
import { DEFAULT_RULES } from './default-rules.js';
import { formatJson, formatSarif, formatText } from './formatters.js';
import { compileRules } from './rules.js';
import { type ScanOptions, scanGitHistory, scanTree } from './scan-runner.js';

const options: ScanOptions = { rules: compileRules(DEFAULT_RULES), allowlist: { allows: () => false } };
const GROQ = `gsk_${'aB3'.repeat(17)}x`;
const ANTHROPIC = `sk-ant-api03-${'Xy_9-'.repeat(19)}AA`;

/** The OASIS SARIF 2.1.0 JSON schema, vendored (see test/fixtures/README.md). */
const schema = JSON.parse(
  readFileSync(new URL('../../test/fixtures/sarif-schema-2.1.0.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateSarif = ajv.compile(schema);

async function sampleReports() {
  const repo = gitRepo();
  const kw = issueSecret('key').secret;
  write(repo, 'src/app.ts', `const groq = '${GROQ}';\nconst kw = '${kw}';\n`);
  write(repo, 'dir with space/ä.env', `ANTHROPIC=${ANTHROPIC}\n`);
  commitAll(repo, 'keys');
  return {
    tree: await scanTree(repo, options),
    git: await scanGitHistory(repo, options),
    secrets: [GROQ, ANTHROPIC, kw],
  };
}

describe('scan output', () => {
  it('SARIF is valid against the SARIF 2.1.0 JSON schema, for tree and git scans', async () => {
    const { tree, git } = await sampleReports();
    for (const report of [tree, git]) {
      const sarif = JSON.parse(formatSarif(report, '0.1.0'));
      const valid = validateSarif(sarif);
      expect(validateSarif.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
      expect(sarif.runs[0].results).toHaveLength(3);
    }
  });

  it('the schema check can fail: a result without a message is refused', async () => {
    const { tree } = await sampleReports();
    const sarif = JSON.parse(formatSarif(tree, '0.1.0'));
    delete sarif.runs[0].results[0].message;
    expect(validateSarif(sarif)).toBe(false);
  });

  it('never prints a secret: text, JSON and SARIF show the prefix and last 4 only', async () => {
    const { tree, git, secrets } = await sampleReports();
    for (const report of [tree, git]) {
      const outputs = [
        formatText(report, true),
        formatText(report, false),
        formatJson(report),
        formatSarif(report, '0'),
      ];
      for (const output of outputs) {
        for (const secret of secrets) {
          expect(output).not.toContain(secret);
          expect(output).not.toContain(secret.slice(8, -4));
        }
        expect(output).toContain(`gsk_...${GROQ.slice(-4)}`);
      }
    }
  });

  it('text output groups findings by file and colours only when asked', async () => {
    const { tree } = await sampleReports();
    const plain = formatText(tree, false);
    expect(plain).not.toContain('\x1b[');
    expect(plain).toMatch(/^dir with space\/ä\.env\n {2}1:11/m);
    expect(plain).toMatch(/^src\/app\.ts\n {2}1:15 .*groq-api-key[\s\S]*\n {2}2:13 .*keywarden-key/m);
    expect(plain).toContain('3 secrets found in 2 files');
    expect(formatText(tree, true)).toContain('\x1b[');
  });
});
