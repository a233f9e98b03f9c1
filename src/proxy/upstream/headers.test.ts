import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { anthropicAdapter } from './providers/anthropic.js';
import { openAiAdapter } from './providers/openai.js';

/** Headers as Node's http server hands them over: lower-case names. */
const CLIENT: IncomingHttpHeaders = {
  host: 'gateway.local:8787',
  authorization: 'Bearer kw_client_key',
  'x-api-key': 'kw_client_key',
  'proxy-authorization': 'Basic dXNlcjpwYXNz',
  cookie: 'session=abc',
  connection: 'keep-alive, X-Private-Hop',
  'keep-alive': 'timeout=5',
  'x-private-hop': 'secret-routing',
  te: 'trailers',
  trailer: 'x-checksum',
  'transfer-encoding': 'chunked',
  upgrade: 'websocket',
  'proxy-connection': 'keep-alive',
  'content-type': 'application/json',
  'content-length': '123',
  'accept-encoding': 'gzip, br',
  accept: 'text/event-stream',
  'user-agent': 'OpenAI/JS 6.0.0',
  'anthropic-version': '2023-06-01',
  'anthropic-beta': 'prompt-caching-2024-07-31',
  'openai-beta': 'assistants=v2',
  'idempotency-key': 'idem-1',
  'x-stainless-retry-count': '0',
  'x-custom-trace': 'abc',
};

const DROPPED = [
  'authorization',
  'x-api-key',
  'proxy-authorization',
  'cookie',
  'connection',
  'keep-alive',
  'x-private-hop',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
];
const KEPT = [
  'content-type',
  'accept',
  'user-agent',
  'anthropic-version',
  'anthropic-beta',
  'openai-beta',
  'idempotency-key',
  'x-stainless-retry-count',
  'x-custom-trace',
];

describe('headers sent upstream', () => {
  const sent = upstreamRequestHeaders(CLIENT, openAiAdapter.credentialHeaders('sk-real'));

  it('drops client credentials, cookies, hop-by-hop headers and the headers Connection names', () => {
    for (const name of DROPPED.filter((n) => n !== 'authorization'))
      expect(sent, name).not.toHaveProperty(name);
  });

  it('keeps every other client header unchanged', () => {
    for (const name of KEPT) expect(sent[name], name).toBe(CLIENT[name]);
  });

  it('sets the provider credential in the provider header, never the client key', () => {
    expect(sent.authorization).toBe('Bearer sk-real');
    expect(JSON.stringify(sent)).not.toContain('kw_client_key');

    const anthropic = upstreamRequestHeaders(CLIENT, anthropicAdapter.credentialHeaders('sk-ant-real'));
    expect(anthropic['x-api-key']).toBe('sk-ant-real');
    expect(anthropic).not.toHaveProperty('authorization');
    expect(JSON.stringify(anthropic)).not.toContain('kw_client_key');
  });

  it('sends no credential at all to a keyless provider', () => {
    const keyless = upstreamRequestHeaders(CLIENT, {});
    expect(keyless).not.toHaveProperty('authorization');
    expect(keyless).not.toHaveProperty('x-api-key');
    expect(JSON.stringify(keyless)).not.toContain('kw_client_key');
  });

  it('leaves host, length and encoding to the gateway and asks for an uncompressed body', () => {
    expect(sent).not.toHaveProperty('host');
    expect(sent).not.toHaveProperty('content-length');
    expect(sent['accept-encoding']).toBe('identity');
  });

  it('honours a Connection header given more than once', () => {
    const headers: IncomingHttpHeaders = { 'x-a': '1', 'x-b': '2', 'x-c': '3' };
    (headers as Record<string, unknown>).connection = ['X-A', ' x-b '];
    const out = upstreamRequestHeaders(headers, {});
    expect(out).not.toHaveProperty('x-a');
    expect(out).not.toHaveProperty('x-b');
    expect(out['x-c']).toBe('3');
  });
});

describe('headers sent back to the client', () => {
  const upstream = {
    'content-type': 'text/event-stream',
    'content-length': '999',
    'openai-processing-ms': '120',
    'x-ratelimit-remaining-requests': '99',
    'set-cookie': ['__cf_bm=abc'],
    connection: 'keep-alive, x-upstream-hop',
    'keep-alive': 'timeout=5',
    'x-upstream-hop': '1',
    'transfer-encoding': 'chunked',
    'request-id': 'req_1',
  };

  it('drops hop-by-hop headers and cookies and keeps the rest', () => {
    const out = clientResponseHeaders(upstream, { bodyRewritten: false });
    expect(out).toEqual({
      'content-type': 'text/event-stream',
      'content-length': '999',
      'openai-processing-ms': '120',
      'x-ratelimit-remaining-requests': '99',
      'request-id': 'req_1',
    });
  });

  it('drops content-length when the gateway rewrote the body', () => {
    expect(clientResponseHeaders(upstream, { bodyRewritten: true })).not.toHaveProperty('content-length');
  });
});
