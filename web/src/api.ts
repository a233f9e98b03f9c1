/** The dashboard's only way to the server: the admin API, authenticated by the session cookie. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

export function setCsrf(token: string): void {
  csrfToken = token;
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    if (response.status === 401 && url.startsWith('/admin/'))
      window.dispatchEvent(new Event('kw:signed-out'));
    throw new ApiError(
      response.status,
      json?.error?.message ?? `HTTP ${response.status}`,
      json?.error?.field,
    );
  }
  return json as T;
}

export type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export const api = {
  get: <T>(path: string, query?: Query) => call<T>('GET', withQuery(`/admin/v1${path}`, query)),
  post: <T>(path: string, body?: unknown) => call<T>('POST', `/admin/v1${path}`, body ?? {}),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', `/admin/v1${path}`, body),
  signIn: (token: string) => call<Session>('POST', '/dashboard/session', { token }),
  session: () => call<Session>('GET', '/dashboard/session'),
  signOut: () => call<unknown>('DELETE', '/dashboard/session'),
};

export interface Session {
  csrf_token: string;
  role: string;
}

export interface Amounts {
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
}

export interface UsageAnswer<G extends string = string> {
  data: Array<Amounts & Record<G, string | null> & Record<string, unknown>>;
  totals: Amounts;
}

export type { Budget, Limits } from '../../src/domain/records';

import type { Limits } from '../../src/domain/records';

export interface Key {
  id: string;
  name: string;
  project: string | null;
  project_id: string;
  prefix: string;
  status: string;
  default_provider: string | null;
  scopes: { providers?: string[]; models?: string[]; endpoints?: string[] };
  limits: Limits;
  expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
  [field: string]: unknown;
}

export interface Project {
  id: string;
  name: string;
  limits: Limits;
  created_at: string;
}

export interface Provider {
  id: string;
  name: string;
  type: string;
  base_url: string;
  credentials: Array<{ id: string; fingerprint: string; status: string; source: string; created_at: string }>;
}

export interface Alert {
  id: string;
  created_at: string;
  type: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  key_id: string | null;
  key_name: string | null;
  project: string | null;
  status: 'open' | 'acknowledged';
}

export interface UsageEventRow {
  id: string;
  at: string;
  model: string | null;
  provider: string;
  endpoint: string;
  status: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  client_ip: string;
}
