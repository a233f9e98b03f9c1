/**
 * A typed helper for agents: mint a key for a sub-agent with your own keywarden key.
 *
 * ```ts
 * import { createDelegationClient } from 'keywarden/client';
 * const keywarden = createDelegationClient({ baseUrl: 'http://127.0.0.1:8787', apiKey: process.env.KEYWARDEN_KEY! });
 * const child = await keywarden.delegate({ name: 'researcher-1', ttl_seconds: 600, scopes: { models: ['gpt-4o-mini'] } });
 * ```
 */

export interface DelegateRequest {
  /** Unique within the project. */
  name: string;
  /** Lifetime in seconds; the child ends no later than its parent whatever is asked. */
  ttl_seconds: number;
  /** Omitted lists inherit the parent's; any list must lie within the parent's. */
  scopes?: { providers?: string[]; models?: string[]; endpoints?: string[] };
  limits?: {
    rpm?: number;
    tpm?: number;
    concurrency?: number;
    max_tokens?: number;
    budgets?: Array<{ usd: number; period: 'hour' | 'day' | 'week' | 'month' | 'total'; soft?: boolean }>;
  };
  /** May the child delegate further (within the maximum depth)? */
  can_delegate?: boolean;
}

export interface DelegatedKey {
  id: string;
  name: string;
  /** The child's secret: shown this once. */
  key: string;
  parent_id: string;
  expires_at: string | null;
  scopes: NonNullable<DelegateRequest['scopes']>;
  limits: NonNullable<DelegateRequest['limits']>;
  can_delegate: boolean;
  depth: number;
}

/** keywarden refused the delegation; `code` is one of its documented error codes. */
export class DelegationError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'DelegationError';
  }
}

export interface DelegationClientOptions {
  /** The gateway's root, e.g. `http://127.0.0.1:8787` (a trailing `/v1` is accepted too). */
  baseUrl: string;
  /** The parent key (`kw_...`), created with `can_delegate`. */
  apiKey: string;
  fetch?: typeof fetch;
}

export function createDelegationClient(options: DelegationClientOptions) {
  const root = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const doFetch = options.fetch ?? fetch;
  return {
    async delegate(request: DelegateRequest): Promise<DelegatedKey> {
      const response = await doFetch(`${root}/v1/keys/delegate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw new DelegationError(
          response.status,
          error?.code,
          error?.message ?? `delegation failed with status ${response.status}`,
        );
      }
      return json as DelegatedKey;
    },
  };
}

export type DelegationClient = ReturnType<typeof createDelegationClient>;
