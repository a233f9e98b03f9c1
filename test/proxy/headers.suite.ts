import http from 'node:http';
import type { APIError as AnthropicApiError } from '@anthropic-ai/sdk';
import Anthropic from '@anthropic-ai/sdk';
import type { APIError as OpenAIApiError } from 'openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ANTHROPIC_KEY, DEFAULT_OPENAI_KEY, type ReceivedRequest } from '../fakes/fake-upstream.js';
import { type ProxyEnv, startProxyEnv } from './proxy-env.js';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request through node:http, which (unlike fetch) lets a test send hop-by-hop headers. */
function rawRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every header value the upstream saw, flattened. */
function headerValues(request: ReceivedRequest | undefined): string[] {
  return Object.values(request?.headers ?? {}).flatMap((v) =>
    v === undefined ? [] : Array.isArray(v) ? v : [v],
  );
}

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'headers' }] });

describe('proxy header handling', () => {
  let env: ProxyEnv;

  beforeAll(async () => {
    env = await startProxyEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('strips client credentials, cookies and hop-by-hop headers and passes the rest unchanged (OpenAI)', async () => {
    const { key } = await env.createKey();
    const res = await rawRequest(
      `${env.gw.url}/v1/chat/completions`,
      'POST',
      {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        'x-api-key': key,
        'proxy-authorization': 'Basic dXNlcjpwYXNz',
        cookie: 'session=s3cr3t; theme=dark',
        connection: 'keep-alive, x-hop-named',
        'x-hop-named': 'named-by-connection',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'openai-beta': 'assistants=v2',
        'idempotency-key': 'idem-7f3a',
        'x-custom-trace': 'trace-42',
        'x-stainless-lang': 'js',
      },
      chatBody,
    );
    expect(res.status).toBe(200);
    const upstream = env.fake.requests.at(-1);
    expect(upstream?.path).toBe('/v1/chat/completions');
    const h = upstream?.headers ?? {};
    expect(h.authorization).toBe(`Bearer ${DEFAULT_OPENAI_KEY}`);
    expect(h['x-api-key']).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h.cookie).toBeUndefined();
    expect(h['x-hop-named']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(String(h.connection ?? '')).not.toContain('x-hop-named');
    expect(h['openai-beta']).toBe('assistants=v2');
    expect(h['idempotency-key']).toBe('idem-7f3a');
    expect(h['x-custom-trace']).toBe('trace-42');
    expect(h['x-stainless-lang']).toBe('js');
    expect(headerValues(upstream).filter((v) => v.includes('kw_'))).toEqual([]);
    expect(headerValues(upstream).filter((v) => v.includes('s3cr3t'))).toEqual([]);
  });

  it('drops an Upgrade header on its way upstream', async () => {
    const { key } = await env.createKey();
    const res = await rawRequest(
      `${env.gw.url}/v1/chat/completions`,
      'POST',
      { 'content-type': 'application/json', authorization: `Bearer ${key}`, upgrade: 'fake-protocol/1.0' },
      chatBody,
    );
    expect(res.status).toBe(200);
    expect(env.fake.requests.at(-1)?.headers.upgrade).toBeUndefined();
  });

  it('accepts the key in x-api-key on an OpenAI route and sends only the real bearer credential', async () => {
    const { key } = await env.createKey();
    const res = await rawRequest(
      `${env.gw.url}/v1/chat/completions`,
      'POST',
      { 'content-type': 'application/json', 'x-api-key': key },
      chatBody,
    );
    expect(res.status).toBe(200);
    const h = env.fake.requests.at(-1)?.headers ?? {};
    expect(h.authorization).toBe(`Bearer ${DEFAULT_OPENAI_KEY}`);
    expect(h['x-api-key']).toBeUndefined();
  });

  it('sets the Anthropic credential in x-api-key and passes anthropic-version and anthropic-beta unchanged', async () => {
    const { key } = await env.createKey({ default_provider: 'anthropic' });
    const res = await rawRequest(
      `${env.gw.url}/anthropic/v1/messages`,
      'POST',
      {
        'content-type': 'application/json',
        'x-api-key': key,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'prompt-caching-2024-07-31,files-api-2025-04-14',
        cookie: 'sid=abc',
        'idempotency-key': 'idem-anthropic',
        'x-custom-trace': 'trace-anthropic',
      },
      JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(res.status).toBe(200);
    const upstream = env.fake.requests.at(-1);
    const h = upstream?.headers ?? {};
    expect(upstream?.path).toBe('/v1/messages');
    expect(h['x-api-key']).toBe(DEFAULT_ANTHROPIC_KEY);
    expect(h.authorization).toBeUndefined();
    expect(h.cookie).toBeUndefined();
    expect(h['anthropic-version']).toBe('2023-06-01');
    expect(h['anthropic-beta']).toBe('prompt-caching-2024-07-31,files-api-2025-04-14');
    expect(h['idempotency-key']).toBe('idem-anthropic');
    expect(h['x-custom-trace']).toBe('trace-anthropic');
    expect(headerValues(upstream).filter((v) => v.includes('kw_'))).toEqual([]);
  });

  it('never forwards the kw_ key the Anthropic SDK sends as a bearer token', async () => {
    const { key } = await env.createKey({ default_provider: 'anthropic' });
    await env
      .anthropic(key)
      .messages.create(
        { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'anthropic-beta': 'beta-x' } },
      );
    const upstream = env.fake.requests.at(-1);
    expect(upstream?.headers['x-api-key']).toBe(DEFAULT_ANTHROPIC_KEY);
    expect(upstream?.headers['anthropic-beta']).toBe('beta-x');
    expect(headerValues(upstream).filter((v) => v.includes('kw_'))).toEqual([]);
  });

  it('passes an upstream error status through in the OpenAI error shape', async () => {
    const { key } = await env.createKey();
    const client = env.openai(key);
    for (const [status, ErrorClass] of [
      [400, OpenAI.BadRequestError],
      [404, OpenAI.NotFoundError],
      [429, OpenAI.RateLimitError],
    ] as const) {
      let caught: unknown;
      try {
        await client.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'fail' }] },
          { headers: { 'x-fake-status': String(status) } },
        );
      } catch (error) {
        caught = error;
      }
      expect(caught, String(status)).toBeInstanceOf(ErrorClass);
      const apiError = caught as OpenAIApiError;
      expect(apiError.status).toBe(status);
      expect(apiError.code).toBe(`fake_${status}`);
      expect(apiError.error).toMatchObject({ message: `fake upstream error ${status}` });
    }
  });

  it('passes an upstream error status through in the Anthropic error shape', async () => {
    const { key } = await env.createKey({ default_provider: 'anthropic' });
    let caught: unknown;
    try {
      await env
        .anthropic(key)
        .messages.create(
          { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'fail' }] },
          { headers: { 'x-fake-status': '400' } },
        );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Anthropic.BadRequestError);
    expect((caught as AnthropicApiError).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'fake upstream error 400' },
    });
  });

  it('puts its own x-request-id on every response: success, streams, refusals, upstream errors, admin', async () => {
    const { key } = await env.createKey({ scopes: { models: ['gpt-4o*'], endpoints: ['chat/completions'] } });
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${env.gw.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'id please' }] };
    const anthropicKey = (await env.createKey({ default_provider: 'anthropic' })).key;
    const anthropicAuth = {
      'x-api-key': anthropicKey,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    };
    const claude = { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'id' }] };
    const responses = {
      success: await post('/v1/chat/completions', auth, chat),
      stream: await post('/v1/chat/completions', auth, { ...chat, stream: true }),
      models: await fetch(`${env.gw.url}/v1/models`, { headers: auth }),
      missingKey: await post('/v1/chat/completions', { 'content-type': 'application/json' }, chat),
      unknownKey: await post('/v1/chat/completions', { ...auth, authorization: 'Bearer kw_nope' }, chat),
      modelDenied: await post('/v1/chat/completions', auth, { ...chat, model: 'o3-mini' }),
      endpointDenied: await post('/v1/embeddings', auth, { model: 'gpt-4o', input: 'x' }),
      badModel: await post('/v1/chat/completions', auth, { ...chat, model: '../etc' }),
      unknownProvider: await post('/nope/v1/chat/completions', auth, chat),
      upstreamError: await post('/v1/chat/completions', { ...auth, 'x-fake-status': '429' }, chat),
      anthropicRefusal: await post(
        '/anthropic/v1/messages',
        { 'x-api-key': 'kw_nope', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
      ),
      anthropicSuccess: await post('/anthropic/v1/messages', anthropicAuth, claude),
      anthropicStream: await post('/anthropic/v1/messages', anthropicAuth, { ...claude, stream: true }),
      admin: await fetch(`${env.gw.url}/admin/v1/keys`, {
        headers: { authorization: `Bearer ${env.gw.adminToken}` },
      }),
    };
    const ids: Record<string, string | null> = {};
    for (const [name, res] of Object.entries(responses)) {
      await res.arrayBuffer();
      ids[name] = res.headers.get('x-request-id');
    }
    expect(Object.entries(ids).filter(([, id]) => !id)).toEqual([]);
    expect(new Set(Object.values(ids)).size).toBe(Object.keys(ids).length);
    // The gateway's own id (which its logs and usage events know), not one the upstream made up.
    expect(Object.entries(ids).filter(([, id]) => id?.startsWith('req_fake_'))).toEqual([]);
    expect(responses.anthropicSuccess.status).toBe(200);
    expect(responses.success.status).toBe(200);
    expect(responses.modelDenied.status).toBe(403);
    expect(responses.endpointDenied.status).toBe(403);
    expect(responses.badModel.status).toBe(400);
    expect(responses.unknownKey.status).toBe(401);
    expect(responses.missingKey.status).toBe(401);
    expect(responses.upstreamError.status).toBe(429);
    expect(responses.anthropicRefusal.status).toBe(401);
  });
});
