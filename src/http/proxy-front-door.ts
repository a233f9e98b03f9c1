import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { GatewayError } from '../domain/errors.js';
import { newId } from '../lib/ids.js';
import type { Dialect } from '../proxy/upstream/providers/provider-adapter.js';
import { type ProxyCall, writeRefusal } from './proxy-responder.js';
import { PROXY_METHODS } from './proxy-routes.js';

export interface FrontDoorDeps {
  respond: (call: ProxyCall) => Promise<void>;
  dialectOf: (providerName: string | null) => Dialect;
  /** Whether `/{name}/...` is a provider's prefix (false for unknown names and keywarden's own routes). */
  isProviderName: (name: string) => boolean;
  /** Paths under `/v1/` that are keywarden's own routes rather than the proxy's. */
  ownV1Paths: ReadonlySet<string>;
  /** True once shutdown began. */
  isClosing: () => boolean;
  /** Take the client's address from `X-Forwarded-For`, as Fastify's `trustProxy: true` does. */
  trustProxy: boolean;
  maxBodyBytes: number;
}

const METHODS = new Set<string>(PROXY_METHODS);
/** Paths whose decoded form is the path itself: no `%`, nothing encodeURI would change. */
const PLAIN_PATH = /^\/[\w\-.~!$&'()*+,;=:@/]*$/;
/** What the SDKs send; any other content type is left to Fastify's parsers. */
const JSON_TYPE = /^application\/json(?:;\s*charset=utf-8)?$/i;
const trustAll = () => true;

/**
 * The proxy's hot path in front of Fastify: a plain proxied request (`/v1/...` or `/{provider}/...`,
 * an unencoded path, a JSON or empty body) is read and handed to the responder without Fastify's
 * routing, hooks, request and reply objects, which cost a fifth of a request's CPU. It enforces what
 * Fastify would: the body limit, the JSON depth, the trusted-proxy client address, the refusal during
 * shutdown. Returns false for anything else, which Fastify then serves exactly as before.
 */
export function createProxyFrontDoor(deps: FrontDoorDeps) {
  return function frontDoor(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method ?? '';
    if (!METHODS.has(method)) return false;
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    if (!PLAIN_PATH.test(path)) return false;

    let providerName: string | null = null;
    let wildcard: string;
    if (path.startsWith('/v1/')) {
      if (deps.ownV1Paths.has(path)) return false;
      wildcard = path.slice(4);
    } else {
      const slash = path.indexOf('/', 1);
      if (slash < 0) return false;
      providerName = path.slice(1, slash);
      if (!deps.isProviderName(providerName)) return false;
      wildcard = path.slice(slash + 1);
    }

    const { headers } = req;
    const contentType = headers['content-type'];
    const bodyless =
      method === 'GET' ||
      (contentType === undefined &&
        headers['transfer-encoding'] === undefined &&
        (headers['content-length'] === undefined || headers['content-length'] === '0'));
    if (!bodyless && (contentType === undefined || !JSON_TYPE.test(contentType))) return false;

    const requestId = newId('req');
    const refuse = (error: GatewayError, close = false) =>
      writeRefusal(res, requestId, error, deps.dialectOf(providerName), close ? { connection: 'close' } : {});
    if (deps.isClosing()) {
      refuse(
        new GatewayError('shutting_down', 'keywarden is shutting down; retry on another instance'),
        true,
      );
      return true;
    }
    const call: ProxyCall = {
      requestId,
      method,
      providerName,
      wildcard,
      query: queryAt < 0 ? '' : url.slice(queryAt),
      headers,
      body: undefined,
      clientIp: deps.trustProxy ? lastOf(proxyAddr.all(req, trustAll)) : (req.socket.remoteAddress ?? ''),
      res,
    };
    if (bodyless) {
      void deps.respond(call);
      return true;
    }
    readRequestBody(req, deps.maxBodyBytes).then(
      (body) => {
        call.body = body;
        void deps.respond(call);
      },
      // Whatever is left of a body that is too large is not read: the connection closes after the answer.
      (error: GatewayError) => refuse(error, error.code === 'body_too_large'),
    );
    return true;
  };
}

function lastOf(addresses: string[]): string {
  return addresses[addresses.length - 1] ?? '';
}

const tooLarge = () => new GatewayError('body_too_large', 'the request body is too large');

/** The whole body, refused past `limit` bytes or when it does not match its content-length. */
function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (error: GatewayError | undefined) => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      if (error) reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) stop(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => {
      if (!Number.isNaN(declared) && received !== declared) {
        stop(
          new GatewayError('validation_error', 'content-length does not match the body', {
            field: 'content-length',
          }),
        );
        return;
      }
      stop(undefined);
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    };
    const onError = () => stop(new GatewayError('validation_error', 'the request body could not be read'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
