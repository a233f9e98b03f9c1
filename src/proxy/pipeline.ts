import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { GatewayError } from '../domain/errors.js';
import type { KeyStatus } from '../domain/records.js';
import type { CancelSignal } from '../lib/cancel-signal.js';
import type { Clock } from '../lib/clock.js';
import type { Admit } from './admit/admit-request.js';
import { authenticateKey } from './authenticate/authenticate-key.js';
import type { CompiledKey, KeyDirectory } from './authenticate/key-directory.js';
import { authorizeRequest } from './authorize/authorize-request.js';
import { type InspectedRequest, inspectRequest } from './inspect/inspect-request.js';
import { filterModelList } from './meter/filter-model-list.js';
import { usageFromJson } from './meter/json-usage.js';
import { createMeter, type MeterContext, type MeterDeps, type MeteredRequest } from './meter/meter.js';
import { createUsageTap, type TapOutput } from './meter/usage-tap.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './upstream/headers.js';
import { KeyCutOff, keyCutError, type OpenStreams } from './upstream/open-streams.js';
import type { LiveProvider, ProviderDirectory } from './upstream/provider-directory.js';
import type { Dialect } from './upstream/providers/provider-adapter.js';
import { DEFAULT_FAILOVER, type FailoverOptions, sendWithFailover } from './upstream/send-with-failover.js';
import type { UpstreamClient, UpstreamResponse } from './upstream/upstream-client.js';

/** JSON answers up to this size are read whole before they are sent; larger ones stream through. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface ProxyRequest {
  requestId: string;
  method: string;
  /** From `/{provider}/...`; null for `/v1/...`, which goes to the key's default provider. */
  providerName: string | null;
  /** What follows the provider prefix, with the query: `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  clientIp: string;
  /** Fires when the client goes away, so the upstream request is abandoned too. */
  signal: CancelSignal;
  /** The presented key's hash, when the HTTP shell already computed it. */
  credentialHash?: string | undefined;
}

export type ProxyReply =
  | { kind: 'refused'; error: GatewayError; dialect: Dialect }
  | { kind: 'stream'; status: number; headers: OutgoingHttpHeaders; body: StreamedBody }
  /** A whole answer, read before any of it is sent (small JSON bodies). */
  | { kind: 'buffer'; status: number; headers: OutgoingHttpHeaders; body: Buffer }
  | { kind: 'json'; status: number; headers: OutgoingHttpHeaders; body: unknown };

/** A body that goes to the client as it arrives, written straight into the client's response. */
export interface StreamedBody {
  /** Resolves once `out` has closed, with the error that cut the body short, if one did. */
  deliverTo(out: TapOutput): Promise<Error | undefined>;
}

export interface PipelineDeps extends MeterDeps {
  keys: KeyDirectory;
  providers: ProviderDirectory;
  admit: Admit;
  upstream: UpstreamClient;
  clock: Clock;
  /** Open streams per key, cut when the key is revoked or suspended. */
  openStreams?: OpenStreams;
  failover?: FailoverOptions;
  /** Deepest nesting accepted in a JSON request body. */
  maxJsonDepth: number;
  /** Told of every refusal (the watcher looks for bursts of bad keys). */
  onRefused?: (error: GatewayError, request: ProxyRequest) => void;
}

/**
 * The request path, in order: inspect → authenticate → authorize → admit → upstream → meter. Every
 * refusal happens before a byte goes upstream and comes back as a value in the provider's dialect.
 */
export function createProxyPipeline(deps: PipelineDeps) {
  const meter = createMeter(deps);
  const failover = { ...deps, options: deps.failover ?? DEFAULT_FAILOVER };

  return async function handle(request: ProxyRequest): Promise<ProxyReply> {
    const receivedAt = deps.clock.now();
    const named = request.providerName === null ? undefined : deps.providers.byName(request.providerName);
    let dialect: Dialect = named?.adapter.dialect ?? 'openai';
    try {
      if (request.providerName !== null && !named) {
        throw new GatewayError('unknown_provider', `no provider named ${request.providerName}`);
      }
      const inspected = inspectRequest(
        request.method,
        request.path,
        request.headers,
        request.body,
        deps.maxJsonDepth,
      );
      const key = await authenticateKey(request.headers, deps.keys, receivedAt, request.credentialHash);
      const provider = named ?? defaultProvider(key, deps.providers);
      dialect = provider.adapter.dialect;
      authorizeRequest({
        key,
        providerName: provider.record.name,
        endpoint: inspected.endpoint,
        model: inspected.model,
        clientIp: request.clientIp,
        now: receivedAt,
      });
      const admission = await deps.admit({
        key,
        providerType: provider.record.type,
        inspected,
        now: receivedAt,
      });
      return await forward({ request, key, provider, inspected, receivedAt, admission });
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      deps.onRefused?.(error, request);
      return { kind: 'refused', error, dialect };
    }
  };

  async function forward(context: MeterContext & { request: ProxyRequest }): Promise<ProxyReply> {
    const { request, key, provider, inspected, admission } = context;
    const { adapter } = provider;
    const askedForUsage = requestUsageChunk(provider, inspected);
    const body =
      askedForUsage || admission.bodyChanged ? Buffer.from(JSON.stringify(inspected.json)) : request.body;
    const metered = meter.start(context);

    // From here until its answer arrives, revoking or suspending the key abandons the request.
    let cutTo: KeyStatus | undefined;
    const release = deps.openStreams?.hold(key.record.id, (status) => {
      cutTo = status;
      request.signal.abort();
    });
    let response: UpstreamResponse;
    try {
      response = await sendWithFailover(failover, provider, (credentialHeaders) => ({
        baseUrl: provider.record.baseUrl,
        path: request.path,
        method: request.method,
        headers: upstreamRequestHeaders(request.headers, credentialHeaders),
        body,
        signal: request.signal,
      }));
    } catch (error) {
      const failure = cutTo ? keyCutError(cutTo) : error;
      metered.abandon(failure instanceof GatewayError ? failure.status : 499);
      throw failure;
    } finally {
      release?.();
    }

    const headers = Object.assign(
      clientResponseHeaders(response.headers, { bodyRewritten: askedForUsage }),
      admission.headers,
    );
    const contentType = String(response.headers['content-type'] ?? '');
    if (inspected.endpoint === 'models' && inspected.model === null && response.status === 200) {
      const listed = await filterModelList(response.body.stream(), key.allowsModel);
      metered.finish({
        status: response.status,
        tokens: null,
        firstByteAt: deps.clock.now(),
        complete: true,
        deliveredText: '',
      });
      const listHeaders = {
        ...clientResponseHeaders(response.headers, { bodyRewritten: true }),
        ...admission.headers,
      };
      return { kind: 'json', status: 200, headers: listHeaders, body: listed };
    }

    const kind = contentType.startsWith('text/event-stream')
      ? 'sse'
      : contentType.includes('json')
        ? 'json'
        : 'opaque';
    if (kind === 'json' && Number(response.headers['content-length']) <= MAX_BUFFERED_BYTES) {
      return forwardWhole(context, response, headers, metered, deps);
    }
    const tap = createUsageTap({
      adapter,
      endpoint: inspected.endpoint,
      kind,
      dropUsageChunk: askedForUsage && kind === 'sse',
      collectText: admission.countsTokens && kind === 'sse',
      now: deps.clock.now,
      onDone: (result) => metered.finish({ status: response.status, ...result }),
    });
    deps.openStreams?.track(key.record.id, tap, response.body);
    const streamed: StreamedBody = {
      deliverTo(out) {
        const delivered = tap.deliverTo(out);
        response.body.pipeTo(tap);
        return delivered;
      },
    };
    return { kind: 'stream', status: response.status, headers, body: streamed };
  }
}

/**
 * Small JSON answers are read whole and sent in one write: cheaper than passing them through a
 * stream, and a body the upstream cuts short becomes a clear 502 instead of truncated JSON.
 */
async function forwardWhole(
  { key, inspected, provider }: MeterContext,
  response: UpstreamResponse,
  headers: OutgoingHttpHeaders,
  metered: MeteredRequest,
  deps: { clock: Clock; openStreams?: OpenStreams },
): Promise<ProxyReply> {
  deps.openStreams?.track(key.record.id, response.body, response.body);
  let body: Buffer;
  try {
    body = await response.body.whole();
  } catch (error) {
    metered.finish({
      status: response.status,
      tokens: null,
      firstByteAt: null,
      complete: false,
      deliveredText: '',
    });
    if (error instanceof KeyCutOff) throw keyCutError(error.status);
    throw new GatewayError('upstream_unreachable', 'the provider ended its answer before it was complete');
  }
  metered.finish({
    status: response.status,
    tokens: usageFromJson(provider.adapter, inspected.endpoint, body),
    firstByteAt: deps.clock.now(),
    complete: true,
    deliveredText: '',
  });
  return { kind: 'buffer', status: response.status, headers, body };
}

function defaultProvider(key: CompiledKey, providers: ProviderDirectory): LiveProvider {
  const scoped = key.record.scopes.providers;
  const name = key.record.defaultProvider ?? (scoped?.length === 1 ? scoped[0] : undefined);
  const provider = name === undefined ? undefined : providers.byName(name);
  if (!provider) {
    throw new GatewayError(
      'no_default_provider',
      'this key has no default provider: call /{provider}/v1/... or give the key a default_provider',
    );
  }
  return provider;
}

/**
 * OpenAI only reports usage in a stream when asked (`stream_options.include_usage`). If the client
 * did not ask, the gateway asks on its behalf (in the JSON body, re-serialised before sending) and
 * removes the extra chunk before the client sees it. Returns whether it asked.
 */
function requestUsageChunk(provider: LiveProvider, inspected: InspectedRequest): boolean {
  const json = inspected.json;
  if (!json || !inspected.stream || !provider.adapter.needsUsageRequest(inspected.endpoint)) return false;
  const options = json.stream_options;
  const current = typeof options === 'object' && options !== null ? (options as Record<string, unknown>) : {};
  if (current.include_usage === true) return false;
  json.stream_options = { ...current, include_usage: true };
  return true;
}
