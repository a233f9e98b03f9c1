import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { issueSecret } from '../../src/domain/key-format.js';

/** A small deterministic PRNG (mulberry32), so every run builds the same corpus. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = `${ALNUM}_-`;
const HEX = '0123456789abcdef';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = `${ALNUM}/+`;

export interface Planted {
  kind: string;
  secret: string;
  /** The whole line that carries it. */
  line: string;
}

type Random = () => number;
const pick = <T>(rand: Random, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const chars = (rand: Random, n: number, alphabet: string) => {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(rand() * alphabet.length)];
  return out;
};

/** Real-format keys of every kind the rules cover: [kind, maker]. */
const KINDS: Array<[string, (rand: Random) => string, string]> = [
  [
    'openai-project',
    (r) => `sk-proj-${chars(r, 74, URLSAFE)}T3BlbkFJ${chars(r, 74, URLSAFE)}`,
    'OPENAI_API_KEY',
  ],
  [
    'openai-svcacct',
    (r) => `sk-svcacct-${chars(r, 74, URLSAFE)}T3BlbkFJ${chars(r, 74, URLSAFE)}`,
    'OPENAI_API_KEY',
  ],
  [
    'openai-admin',
    (r) => `sk-admin-${chars(r, 58, URLSAFE)}T3BlbkFJ${chars(r, 58, URLSAFE)}`,
    'OPENAI_ADMIN_KEY',
  ],
  ['openai-legacy', (r) => `sk-${chars(r, 20, ALNUM)}T3BlbkFJ${chars(r, 20, ALNUM)}`, 'OPENAI_API_KEY'],
  ['anthropic', (r) => `sk-ant-api03-${chars(r, 93, URLSAFE)}AA`, 'ANTHROPIC_API_KEY'],
  ['anthropic-admin', (r) => `sk-ant-admin01-${chars(r, 93, URLSAFE)}AA`, 'ANTHROPIC_ADMIN_KEY'],
  ['google-ai', (r) => `AIza${chars(r, 35, URLSAFE)}`, 'GEMINI_API_KEY'],
  ['groq', (r) => `gsk_${chars(r, 52, ALNUM)}`, 'GROQ_API_KEY'],
  ['xai', (r) => `xai-${chars(r, 80, ALNUM)}`, 'XAI_API_KEY'],
  ['openrouter', (r) => `sk-or-v1-${chars(r, 64, HEX)}`, 'OPENROUTER_API_KEY'],
  ['huggingface', (r) => `hf_${chars(r, 34, LETTERS)}`, 'HF_TOKEN'],
  ['perplexity', (r) => `pplx-${chars(r, 48, ALNUM)}`, 'PERPLEXITY_API_KEY'],
  ['replicate', (r) => `r8_${chars(r, 37, ALNUM)}`, 'REPLICATE_API_TOKEN'],
  ['deepseek', (r) => `sk-${chars(r, 32, HEX)}`, 'DEEPSEEK_API_KEY'],
  ['together', (r) => `tgp_v1_${chars(r, 43, URLSAFE)}`, 'TOGETHER_API_KEY'],
  ['fireworks', (r) => `fw_${chars(r, 24, ALNUM)}`, 'FIREWORKS_API_KEY'],
  ['aws-access-key', (r) => `AKIA${chars(r, 16, UPPER)}`, 'AWS_ACCESS_KEY_ID'],
  ['keywarden-key', () => issueSecret('key').secret, 'KEYWARDEN_KEY'],
  ['keywarden-admin', () => issueSecret('admin').secret, 'KEYWARDEN_ADMIN_TOKEN'],
];

/** Keys that are only recognisable beside their variable name. */
const KEYWORD_KINDS: Array<[string, (rand: Random) => string, string]> = [
  ['mistral', (r) => chars(r, 32, ALNUM), 'MISTRAL_API_KEY'],
  ['cohere', (r) => chars(r, 40, ALNUM), 'COHERE_API_KEY'],
  ['aws-secret-key', (r) => chars(r, 40, BASE64), 'aws_secret_access_key'],
];

const CARRIERS = [
  (name: string, key: string) => `const ${name.toLowerCase()} = "${key}";`,
  (name: string, key: string) => `${name}=${key}`,
  (name: string, key: string) => `    "${name.toLowerCase()}": "${key}",`,
  (name: string, key: string) => `  ${name.toLowerCase()}: '${key}'`,
  (name: string, key: string) => `client = Client(api_key="${key}")  # ${name}`,
  (name: string, key: string) => `export ${name}="${key}"`,
];

export function plantKey(rand: Random): Planted {
  if (rand() < 0.12) {
    const [kind, make, name] = pick(rand, KEYWORD_KINDS);
    const secret = make(rand);
    const line = pick(rand, [`${name} = "${secret}"`, `${name}=${secret}`, `  ${name}: "${secret}"`]);
    return { kind, secret, line };
  }
  const [kind, make, name] = pick(rand, KINDS);
  const secret = make(rand);
  return { kind, secret, line: pick(rand, CARRIERS)(name, secret) };
}

/** Look-alikes that must not be reported: a decoy line holds no real key. */
export function decoyLine(rand: Random): string {
  const kw = issueSecret('key').secret;
  const decoys = [
    () => `OPENAI_API_KEY=sk-proj-${chars(rand, 20, URLSAFE)}`,
    () => `const key = "sk-${chars(rand, 30, ALNUM)}";`,
    () => `GROQ_API_KEY=gsk_${chars(rand, 40, ALNUM)}`,
    () => `GEMINI_API_KEY=AIza${chars(rand, 20, URLSAFE)}`,
    () => `hf = "hf_${chars(rand, 20, LETTERS)}!${chars(rand, 13, LETTERS)}"`,
    () => `XAI_API_KEY="xai-${chars(rand, 40, ALNUM)}"`,
    () => `r8 = "r8_${chars(rand, 20, ALNUM)}"`,
    () => `pplx = "pplx-${chars(rand, 30, ALNUM)}"`,
    () => `OPENROUTER=sk-or-v1-${chars(rand, 64, 'ghijklmnopqrstuvwxyz')}`,
    // kw_ with a wrong checksum: one character of a real key changed.
    () => `KEYWARDEN_KEY=${kw.slice(0, 12)}${kw[12] === 'Q' ? 'R' : 'Q'}${kw.slice(13)}`,
    () => `KEYWARDEN_KEY=kw_${chars(rand, 38, ALNUM)}`,
    () => `KEYWARDEN_ADMIN_TOKEN=kwa_${chars(rand, 38, ALNUM)}`,
    () => 'OPENAI_API_KEY=sk-...',
    () => 'ANTHROPIC_API_KEY=YOUR_API_KEY',
    () => `api_key = "sk-${'x'.repeat(48)}"`,
    () => 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    () => `task-${chars(rand, 48, ALNUM)} disk-${chars(rand, 48, ALNUM)}`,
    () => `MISTRAL_API_KEY = "${chars(rand, 20, ALNUM)}"`,
  ];
  return pick(rand, decoys)();
}

const WORDS =
  'user account request response handler service config value result error index buffer stream token cache client server query record update delete create session payload message timeout retry limit budget model provider'.split(
    ' ',
  );

/** A pool of source-like lines (code, comments, JSON, prose) that the filler is drawn from. */
export function fillerPool(rand: Random, size = 4000): string[] {
  const ident = () => `${pick(rand, WORDS)}${pick(rand, WORDS).replace(/^./, (c) => c.toUpperCase())}`;
  const shapes = [
    () => `  const ${ident()} = await ${ident()}(${ident()}, ${Math.floor(rand() * 1000)});`,
    () => `  if (${ident()}.length > ${Math.floor(rand() * 100)}) return ${ident()};`,
    () =>
      `// ${pick(rand, WORDS)} the ${pick(rand, WORDS)} before the ${pick(rand, WORDS)} is ${pick(rand, WORDS)}d`,
    () => `    "${ident()}": "${chars(rand, 12, ALNUM)}",`,
    () => `def ${ident()}(self, ${ident()}):`,
    () => `        return self.${ident()}[${Math.floor(rand() * 10)}]`,
    () => `export function ${ident()}(${ident()}: string): number {`,
    () => `}`,
    () => `  ${ident()}: ${pick(rand, ['true', 'false', '42', 'null', '"on"'])}`,
    () => `SELECT ${ident()}, ${ident()} FROM ${pick(rand, WORDS)}s WHERE id = $1;`,
    () => `const sha = "${chars(rand, 40, HEX)}"; // commit id, not a secret`,
    () =>
      `  uuid: '${chars(rand, 8, HEX)}-${chars(rand, 4, HEX)}-${chars(rand, 4, HEX)}-${chars(rand, 12, HEX)}'`,
    () => '',
  ];
  return Array.from({ length: size }, () => pick(rand, shapes)());
}

export interface Corpus {
  dir: string;
  bytes: number;
  files: number;
  planted: Array<Planted & { path: string; lineNo: number }>;
  decoys: number;
}

const EXTENSIONS = ['ts', 'py', 'js', 'json', 'yaml', 'env', 'go', 'md'];

/** Writes about `targetBytes` of source-like files with `keys` planted keys and `decoys` decoys. */
export function writeCorpus(
  dir: string,
  targetBytes: number,
  keys: number,
  decoys: number,
  seed = 6,
): Corpus {
  const rand = prng(seed);
  const pool = fillerPool(rand);
  const fileBytes = 64 * 1024;
  const fileCount = Math.max(1, Math.round(targetBytes / fileBytes));
  const corpus: Corpus = { dir, bytes: 0, files: fileCount, planted: [], decoys };
  // Which file and roughly where each planted key and decoy goes.
  const inserts = new Map<number, Array<() => { line: string; planted?: Planted }>>();
  const schedule = (fn: () => { line: string; planted?: Planted }) => {
    const file = Math.floor(rand() * fileCount);
    inserts.set(file, [...(inserts.get(file) ?? []), fn]);
  };
  for (let i = 0; i < keys; i++)
    schedule(() => {
      const planted = plantKey(rand);
      return { line: planted.line, planted };
    });
  for (let i = 0; i < decoys; i++) schedule(() => ({ line: decoyLine(rand) }));

  for (let f = 0; f < fileCount; f++) {
    const path = `pkg${f % 40}/mod${Math.floor(f / 40) % 50}/file${f}.${EXTENSIONS[f % EXTENSIONS.length]}`;
    const lines: string[] = [];
    let size = 0;
    const extra = inserts.get(f) ?? [];
    const every = Math.max(1, Math.floor(fileBytes / 40 / (extra.length + 1)));
    let next = 0;
    while (size < fileBytes) {
      if (next < extra.length && lines.length > 0 && lines.length % every === 0) {
        const made = (extra[next++] as () => { line: string; planted?: Planted })();
        lines.push(made.line);
        if (made.planted) corpus.planted.push({ ...made.planted, path, lineNo: lines.length });
      } else lines.push(pick(rand, pool));
      size += (lines[lines.length - 1] as string).length + 1;
    }
    while (next < extra.length) {
      const made = (extra[next++] as () => { line: string; planted?: Planted })();
      lines.push(made.line);
      if (made.planted) corpus.planted.push({ ...made.planted, path, lineNo: lines.length });
    }
    const text = `${lines.join('\n')}\n`;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    corpus.bytes += Buffer.byteLength(text);
  }
  return corpus;
}
