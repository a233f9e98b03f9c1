import { type AdminClient, createAdminClient } from './admin-client.js';

/** Where the CLI reads and writes. `runCli` defaults every field to the real process. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Record<string, string | undefined>;
  /** Read by `providers add --api-key-stdin`. */
  stdin?: AsyncIterable<string | Uint8Array> & { isTTY?: boolean };
  /** The HTTP client for the admin API; tests pass a fake. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; `--ttl` counts from here. */
  now?: () => number;
}

/** What every command receives: the io, and a way to reach the admin API. */
export interface CliContext {
  io: CliIo;
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  now(): number;
  connect(options: ConnectionOptions): AdminClient;
}

/** The flags every operator command takes. */
export interface ConnectionOptions {
  url: string;
  json?: boolean;
}

export function createContext(io: CliIo): CliContext {
  return {
    io,
    out: (line) => io.stdout.write(`${line}\n`),
    err: (line) => io.stderr.write(`${line}\n`),
    now: io.now ?? Date.now,
    connect: (options) =>
      createAdminClient({ url: options.url, token: io.env.KEYWARDEN_ADMIN_TOKEN, fetch: io.fetch }),
  };
}
