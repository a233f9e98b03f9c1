import { STATUS_CODES } from 'node:http';
import { CliError } from './errors.js';
import { oneLine } from './output.js';

export const DEFAULT_URL = 'http://127.0.0.1:8787';

/** Query values left undefined are not sent. */
export type Query = Record<string, string | undefined>;

/** A thin JSON client for `/admin/v1`. Every failure becomes one line the user can act on. */
export interface AdminClient {
  get<T = unknown>(path: string, query?: Query): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  patch<T = unknown>(path: string, body: unknown): Promise<T>;
  delete<T = unknown>(path: string): Promise<T>;
}

/** The admin API answered with an error envelope `{"error":{"code","message","field"}}`. */
export class AdminApiError extends CliError {
  readonly status: number;
  readonly code: string | undefined;
  readonly field: string | undefined;

  constructor(status: number, message: string, code?: string, field?: string) {
    super(message);
    this.name = 'AdminApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export interface AdminClientOptions {
  url: string;
  token: string | undefined;
  fetch?: typeof fetch | undefined;
  /** How long one request may take before the CLI gives up. */
  timeoutMs?: number;
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const token = options.token?.trim();
    if (!token) {
      throw new CliError(
        'KEYWARDEN_ADMIN_TOKEN is not set: export the admin token printed by `keywarden init` or the first `keywarden serve`',
      );
    }
    const url = `${base}/admin/v1${path}${queryString(query)}`;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw connectionError(error, options.url, timeoutMs);
    }

    const text = await response.text();
    if (!response.ok) throw apiError(response, text, method, path);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `keywarden at ${options.url} answered ${method} ${path} with something other than JSON`,
      );
    }
  }

  return {
    get: (path, query) => request('GET', path, undefined, query),
    post: (path, body) => request('POST', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body),
    delete: (path) => request('DELETE', path),
  };
}

/** `/providers/my%20name`: ids and names are path segments, never path syntax. */
export function segment(idOrName: string): string {
  return `/${encodeURIComponent(idOrName)}`;
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function apiError(response: Response, text: string, method: string, path: string): AdminApiError {
  const envelope = parseEnvelope(text);
  if (envelope?.message) {
    const field =
      envelope.field && !envelope.message.includes(envelope.field) ? ` (field: ${envelope.field})` : '';
    const hint = response.status === 401 ? ': check KEYWARDEN_ADMIN_TOKEN' : '';
    return new AdminApiError(
      response.status,
      oneLine(`${envelope.message}${field}${hint}`),
      envelope.code,
      envelope.field,
    );
  }
  const reason = response.statusText || STATUS_CODES[response.status];
  const status = reason ? `${response.status} ${reason}` : String(response.status);
  return new AdminApiError(response.status, `${method} /admin/v1${path} failed: HTTP ${status}`);
}

function parseEnvelope(text: string): { code?: string; message?: string; field?: string } | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
    const error = body.error;
    if (typeof error !== 'object' || error === null) return undefined;
    const pick = (name: string): string | undefined => {
      const value = (error as Record<string, unknown>)[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    return { code: pick('code'), message: pick('message'), field: pick('field') };
  } catch {
    return undefined;
  }
}

function connectionError(error: unknown, url: string, timeoutMs: number): CliError {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new CliError(`keywarden at ${url} did not answer within ${Math.round(timeoutMs / 1000)}s`);
  }
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') {
    return new CliError(`cannot reach keywarden at ${url}: is \`keywarden serve\` running?`);
  }
  // fetch wraps the socket error in `cause`; that is the part worth showing.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CliError(oneLine(`cannot reach keywarden at ${url}: ${detail || code || 'connection failed'}`));
}

/** The socket error code, looking through fetch's `cause` and happy-eyeballs' AggregateError. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('code' in error && typeof error.code === 'string') return error.code;
  if ('cause' in error) {
    const found = errorCode(error.cause);
    if (found) return found;
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = errorCode(inner);
      if (found) return found;
    }
  }
  return undefined;
}
