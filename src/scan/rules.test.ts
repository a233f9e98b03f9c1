import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueSecret } from '../domain/key-format.js';
import { DEFAULT_RULES } from './default-rules.js';
import { createMatcher } from './matcher.js';
import { compileRules, RuleError } from './rules.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = `${ALNUM}_-`;
const HEX = '0123456789abcdef';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64 = `${ALNUM}/+`;

function random(length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Replaces one character in the middle with one outside every key alphabet. */
function wrongAlphabet(key: string): string {
  const at = Math.floor(key.length * 0.2);
  return `${key.slice(0, at)}!${key.slice(at + 1)}`;
}

const matcher = createMatcher(compileRules(DEFAULT_RULES));

function scan(text: string) {
  const found: Array<{ rule: string; secret: string }> = [];
  matcher.scan(text, (m) => found.push({ rule: m.rule.id, secret: m.secret }));
  return found;
}

interface Case {
  rule: string;
  /** A real-format key (and, for keyword rules, the text that carries it). */
  make: () => { text: string; secret: string };
  /** Look-alikes that must not match. */
  misses: () => string[];
}

const prefixed = (
  rule: string,
  prefix: string,
  length: number,
  alphabet: string,
  extraMisses: string[] = [],
  short = length - 12,
): Case => ({
  rule,
  make: () => {
    const secret = `${prefix}${random(length, alphabet)}`;
    return { text: `const key = "${secret}";`, secret };
  },
  misses: () => [
    `const key = "${prefix}${random(short, alphabet)}";`,
    `const key = "${wrongAlphabet(`${prefix}${random(length, alphabet)}`)}";`,
    `const key = "x${prefix}${random(length, alphabet)}";`,
    `const key = "${prefix}${'x'.repeat(length)}";`,
    ...extraMisses,
  ],
});

const keyword = (rule: string, variable: string, length: number, alphabet: string): Case => ({
  rule,
  make: () => {
    const secret = random(length, alphabet);
    return { text: `${variable} = "${secret}"`, secret };
  },
  misses: () => [
    `${variable} = "${random(length - 4, alphabet)}"`,
    `${variable} = "YOUR_API_KEY"`,
    `unrelated = "${random(length, alphabet)}"`,
  ],
});

const CASES: Case[] = [
  {
    rule: 'keywarden-key',
    make: () => {
      const secret = issueSecret('key').secret;
      return { text: `KEYWARDEN_KEY=${secret}`, secret };
    },
    misses: () => {
      const good = issueSecret('key').secret;
      const flipped = `${good.slice(0, 10)}${good[10] === 'A' ? 'B' : 'A'}${good.slice(11)}`;
      return [`KEYWARDEN_KEY=${flipped}`, `KEYWARDEN_KEY=kw_${random(38, ALNUM)}`, 'kw_...'];
    },
  },
  {
    rule: 'keywarden-admin-token',
    make: () => {
      const secret = issueSecret('admin').secret;
      return { text: `export KEYWARDEN_ADMIN_TOKEN=${secret}`, secret };
    },
    misses: () => [`export KEYWARDEN_ADMIN_TOKEN=kwa_${random(38, ALNUM)}`],
  },
  prefixed('openai-project-key', 'sk-proj-', 156, URLSAFE, ['OPENAI_API_KEY=sk-...'], 30),
  prefixed('openai-service-account-key', 'sk-svcacct-', 156, URLSAFE, [], 30),
  prefixed('openai-admin-key', 'sk-admin-', 156, URLSAFE, [], 30),
  prefixed('openai-legacy-key', 'sk-', 48, ALNUM, ['sk-YOUR_API_KEY']),
  prefixed('anthropic-api-key', 'sk-ant-api03-', 95, URLSAFE, [], 60),
  prefixed('anthropic-admin-key', 'sk-ant-admin01-', 95, URLSAFE, [], 60),
  prefixed('openrouter-api-key', 'sk-or-v1-', 64, HEX),
  prefixed('deepseek-api-key', 'sk-', 32, HEX),
  prefixed('google-ai-api-key', 'AIza', 35, URLSAFE),
  prefixed('groq-api-key', 'gsk_', 52, ALNUM),
  prefixed('xai-api-key', 'xai-', 80, ALNUM),
  prefixed('huggingface-token', 'hf_', 34, LETTERS),
  prefixed('perplexity-api-key', 'pplx-', 48, ALNUM),
  prefixed('replicate-api-token', 'r8_', 37, ALNUM),
  prefixed('together-api-key', 'tgp_v1_', 43, URLSAFE),
  prefixed('fireworks-api-key', 'fw_', 24, ALNUM),
  prefixed('aws-access-key-id', 'AKIA', 16, UPPER_DIGITS, ['AKIAIOSFODNN7EXAMPLE']),
  keyword('aws-secret-access-key', 'aws_secret_access_key', 40, BASE64),
  keyword('mistral-api-key', 'MISTRAL_API_KEY', 32, ALNUM),
  keyword('cohere-api-key', 'COHERE_API_KEY', 40, ALNUM),
  keyword('together-legacy-api-key', 'TOGETHER_API_KEY', 64, HEX),
];

describe('scan rules', () => {
  it('every shipped rule has a test case here', () => {
    expect(CASES.map((c) => c.rule).sort()).toEqual(DEFAULT_RULES.map((r) => r.id).sort());
  });

  describe.each(CASES)('$rule', (c) => {
    it('finds a real-format key, and only the key', () => {
      for (let i = 0; i < 20; i++) {
        const { text, secret } = c.make();
        expect(scan(`line one\n${text}\nline three`)).toEqual([{ rule: c.rule, secret }]);
      }
    });

    it('ignores near-misses: wrong length, wrong alphabet, glued to a word, placeholders', () => {
      for (let i = 0; i < 10; i++) {
        for (const miss of c.misses()) {
          expect(
            scan(miss).filter((f) => f.rule === c.rule),
            miss,
          ).toEqual([]);
        }
      }
    });
  });

  it('finds many keys of different kinds in one pass over one text', () => {
    const made = CASES.map((c) => c.make());
    const text = made.map((m) => m.text).join('\n// filler text between keys\n');
    expect(scan(text).map((f) => f.secret)).toEqual(made.map((m) => m.secret));
  });

  it('rejects a rule whose pattern does not compile, naming it', () => {
    expect(() =>
      compileRules([{ id: 'broken', description: '', severity: 'high', anchor: 'ab', pattern: '(' }]),
    ).toThrow(RuleError);
    expect(() =>
      compileRules([{ id: 'Bad Id', description: '', severity: 'high', anchor: 'ab', pattern: 'ab' }]),
    ).toThrow(/id/);
  });

  it('runs a user rule beside the shipped ones', () => {
    const rules = compileRules([
      ...DEFAULT_RULES,
      {
        id: 'acme-token',
        description: 'ACME token',
        severity: 'medium',
        anchor: 'acme_',
        pattern: 'acme_[0-9a-f]{20}',
      },
    ]);
    const found: string[] = [];
    createMatcher(rules).scan(`token: acme_${random(20, HEX)} and gsk_${random(52, ALNUM)}`, (m) =>
      found.push(m.rule.id),
    );
    expect(found).toEqual(['acme-token', 'groq-api-key']);
  });
});
