import { Agent, errors } from 'undici';
import { GatewayError } from '../../domain/errors.js';
import type { UpstreamPolicy } from '../../domain/upstream-policy.js';
import type { CancelSignal } from '../../lib/cancel-signal.js';
import { guardedLookup, UPSTREAM_REFUSED } from './guarded-lookup.js';
import { type ResponseHeaders, type UpstreamBody, UpstreamExchange } from './upstream-exchange.js';

export interface UpstreamRequest {
  /** The provider's base URL (root without API version), e.g. `https://api.groq.com/openai`. */
  baseUrl: string;
  /** Path and query after the provider prefix, e.g. `/v1/chat/completions`. */
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  /** Aborts the upstream request (the client went away). */
  signal: CancelSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: ResponseHeaders;
  body: UpstreamBody;
}

export interface UpstreamClient {
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

const MAX_TARGETS = 1_000;

/**
 * One keep-alive connection pool per upstream origin (undici's Agent keeps them). Redirects are
 * never followed: a provider answering 3xx has its answer passed back, not chased.
 */
export function createUpstreamClient(options: {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Where upstreams may be: checked on the URL's host and on every address it resolves to. */
  policy?: UpstreamPolicy;
}): UpstreamClient {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connections: 256,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    connect: { timeout: 10_000, ...(options.policy && { lookup: guardedLookup(options.policy) }) },
  });

  // A base URL's origin, path and host verdict never change: work them out once per URL, not per request.
  const targets = new Map<string, { origin: string; basePath: string; refused: string | undefined }>();
  const targetOf = (baseUrl: string) => {
    let target = targets.get(baseUrl);
    if (!target) {
      const url = new URL(baseUrl);
      if (targets.size >= MAX_TARGETS) targets.clear();
      target = {
        origin: url.origin,
        basePath: url.pathname.replace(/\/+$/, ''),
        refused: options.policy?.refuseHost(url.hostname),
      };
      targets.set(baseUrl, target);
    }
    return target;
  };

  return {
    async send(request) {
      const { origin, basePath, refused } = targetOf(request.baseUrl);
      if (refused)
        throw new GatewayError('upstream_address_refused', `the provider's address is refused: ${refused}`);
      const exchange = new UpstreamExchange(request.signal);
      agent.dispatch(
        {
          origin,
          path: `${basePath}${request.path}`,
          method: request.method as 'POST',
          headers: request.headers,
          body: request.body ?? null,
        },
        exchange,
      );
      try {
        return await exchange.answered;
      } catch (error) {
        throw toGatewayError(error);
      }
    },
    close: () => agent.close(),
  };
}

function toGatewayError(error: unknown): GatewayError | unknown {
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.ConnectTimeoutError) {
    return new GatewayError('upstream_timeout', 'the provider did not answer in time');
  }
  if (error instanceof errors.RequestAbortedError) return error;
  if ((error as NodeJS.ErrnoException)?.code === UPSTREAM_REFUSED) {
    return new GatewayError('upstream_address_refused', (error as Error).message);
  }
  if (error instanceof errors.UndiciError || (error as NodeJS.ErrnoException)?.code) {
    return new GatewayError('upstream_unreachable', 'the provider could not be reached');
  }
  return error;
}
