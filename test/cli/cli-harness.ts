import { runCli } from '../../src/cli/main.js';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  requests: RecordedRequest[];
}

type Responder = (request: RecordedRequest) => { status?: number; body?: unknown } | undefined;

export interface HarnessOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Answers the admin API; by default every request gets `200 {}`. */
  respond?: Responder;
  /** Use the real fetch (for connection errors against real sockets). */
  realFetch?: boolean;
  now?: number;
}

/** Runs `keywarden <argv>` in-process with captured output and a scripted admin API. */
export async function cli(argv: string[], options: HarnessOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const requests: RecordedRequest[] = [];
  const fakeFetch: typeof fetch = async (input, init) => {
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: text === undefined ? undefined : JSON.parse(text),
    };
    requests.push(request);
    const answer = options.respond?.(request) ?? {};
    const status = answer.status ?? 200;
    const body = answer.body === undefined ? (status === 204 ? null : '{}') : JSON.stringify(answer.body);
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  };
  const code = await runCli(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: { KEYWARDEN_ADMIN_TOKEN: 'kwa_test', ...options.env },
    stdin: stdinOf(options.stdin ?? ''),
    fetch: options.realFetch ? undefined : fakeFetch,
    now: () => options.now ?? Date.parse('2026-03-01T12:00:00Z'),
  });
  return { code, stdout, stderr, requests };
}

async function* stdinOf(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

/** Error output is exactly one `keywarden: ...` line, and never a stack trace. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  if (lines.length !== 1 || !lines[0]?.startsWith('keywarden: ') || /\n\s+at /.test(stderr)) {
    throw new Error(`expected one "keywarden: ..." line on stderr, got:\n${stderr}`);
  }
  return lines[0];
}
