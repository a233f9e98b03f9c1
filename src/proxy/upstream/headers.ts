import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { rememberRecent } from '../../lib/recent-memo.js';

/** Connection-level headers (RFC 9110 §7.6.1) that never cross a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Client credentials and cookies: keywarden's to read, never the provider's to see. */
const CLIENT_SECRETS = new Set(['authorization', 'x-api-key', 'proxy-authorization', 'cookie']);

/** Set by the gateway itself for the upstream hop. */
const REWRITTEN = new Set(['host', 'content-length', 'expect', 'accept-encoding']);

const NONE: ReadonlySet<string> = new Set();
/** Names listed in a Connection header value; nearly every request says `keep-alive` or nothing. */
const connectionTokens = rememberRecent(
  (value: string): ReadonlySet<string> =>
    new Set(
      value
        .split(',')
        .map((token) => token.trim().toLowerCase())
        .filter(Boolean),
    ),
  256,
);

function namedByConnection(connection: string | string[] | undefined): ReadonlySet<string> {
  if (connection === undefined) return NONE;
  return connectionTokens(Array.isArray(connection) ? connection.join(',') : connection);
}

/**
 * The headers sent upstream: everything the client sent (anthropic-version, anthropic-beta,
 * OpenAI-Beta, idempotency keys, custom x- headers) except its credentials, cookies and hop-by-hop
 * headers, plus the provider's real credential. `accept-encoding: identity` keeps response bodies
 * readable for metering; providers stream SSE uncompressed anyway.
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  credential: Record<string, string>,
): Record<string, string | string[]> {
  const dropped = namedByConnection(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || HOP_BY_HOP.has(name) || CLIENT_SECRETS.has(name) || REWRITTEN.has(name))
      continue;
    if (dropped.has(name)) continue;
    out[name] = value;
  }
  out['accept-encoding'] = 'identity';
  return Object.assign(out, credential);
}

/** The upstream's response headers as passed to the client, without hop-by-hop ones or cookies. */
export function clientResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  options: { bodyRewritten: boolean },
): OutgoingHttpHeaders {
  const dropped = namedByConnection(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name) || name === 'set-cookie') continue;
    if (options.bodyRewritten && name === 'content-length') continue;
    out[name] = value;
  }
  return out;
}
