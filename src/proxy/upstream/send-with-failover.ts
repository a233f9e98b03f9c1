import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../domain/errors.js';
import type { LiveProvider, ProviderDirectory } from './provider-directory.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './upstream-client.js';

export interface FailoverOptions {
  /** How long one request may spend on retries, from its first attempt. */
  deadlineMs: number;
  /** First backoff; doubled per retry, with full jitter, capped at 2 s. */
  backoffMs: number;
  /** Upper bound on attempts, whatever the number of credentials. */
  maxAttempts: number;
}

export const DEFAULT_FAILOVER: FailoverOptions = { deadlineMs: 20_000, backoffMs: 100, maxAttempts: 4 };

/**
 * Sends a request upstream with one of the provider's credentials, moving to another when the
 * answer says so. Every retry happens before anything has been sent to the client (only the
 * status and headers have been seen; the request body is a buffer, so it can be sent again):
 * - 401/403: the credential is marked failing (alert raised) and the next one is tried at once;
 * - 429 and 5xx, or no connection: the next credential is tried after a backoff, while the
 *   per-request deadline allows;
 * - anything else is the answer. When no retry is left, the last answer is passed back as it is.
 */
export async function sendWithFailover(
  deps: { upstream: UpstreamClient; providers: ProviderDirectory; options: FailoverOptions },
  provider: LiveProvider,
  build: (credentialHeaders: Record<string, string>) => UpstreamRequest,
): Promise<UpstreamResponse> {
  if (!provider.hasCredentials) return deps.upstream.send(build({}));
  const { options } = deps;
  const deadline = performance.now() + options.deadlineMs;
  const candidates = provider.candidates();
  // Built only when a credential is refused: nearly every request succeeds on its first attempt,
  // so its state is plain locals (no set, closures or helper promises per request).
  let refused: Set<string> | undefined;
  let retries = 0;
  let index = 0;

  for (let attempt = 1; ; attempt++) {
    // The next credential with a secret, round the list, skipping ones the upstream refused.
    let candidateId: string | undefined;
    let secret: string | undefined;
    for (let tried = 0; tried < candidates.length && secret === undefined; tried++) {
      const candidate = candidates[index++ % candidates.length];
      if (!candidate || refused?.has(candidate.id)) continue;
      secret = (await candidate.secret()) || undefined;
      candidateId = candidate.id;
    }
    if (secret === undefined || candidateId === undefined) {
      throw new GatewayError(
        'upstream_credential_unavailable',
        `provider ${provider.record.name} has no usable credential (a referenced secret may be missing)`,
      );
    }
    // 429, 5xx and connection failures are retried only on another credential.
    const last = attempt >= options.maxAttempts || candidates.length < 2;
    const request = build(provider.adapter.credentialHeaders(secret));
    let response: UpstreamResponse;
    try {
      response = await deps.upstream.send(request);
    } catch (error) {
      if (request.signal.aborted || !(error instanceof GatewayError) || last) throw error;
      if (!(await backoff(options, retries, deadline, undefined))) throw error;
      retries++;
      continue;
    }
    if (response.status === 401 || response.status === 403) {
      deps.providers.markFailing(provider, candidateId, `upstream answered ${response.status}`);
      refused ??= new Set<string>();
      const refusedIds = refused.add(candidateId);
      if (attempt >= options.maxAttempts || !candidates.some((c) => !refusedIds.has(c.id))) return response;
      discard(response);
      continue;
    }
    if ((response.status === 429 || response.status >= 500) && !last) {
      if (await backoff(options, retries, deadline, retryAfterMs(response))) {
        retries++;
        discard(response);
        continue;
      }
    }
    return response;
  }
}

/** Waits before retry number `retries + 1`; false, at once, when the deadline would pass first. */
async function backoff(
  options: FailoverOptions,
  retries: number,
  deadline: number,
  hintMs: number | undefined,
): Promise<boolean> {
  const cap = Math.min(2_000, options.backoffMs * 2 ** retries);
  const wait = hintMs ?? Math.random() * cap;
  if (performance.now() + wait >= deadline) return false;
  await sleep(wait);
  return true;
}

function retryAfterMs(response: UpstreamResponse): number | undefined {
  const header = response.headers['retry-after'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** A response we will not pass on: read and drop its (small, error) body so the connection is reused. */
function discard(response: UpstreamResponse): void {
  response.body.discard();
}
