import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { addOpenAiProvider, startGateway, type TestGateway, tempDataDir } from '../helpers/gateway.js';

const MAX_BODY = 4096;
const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

/**
 * Plain proxied requests are served by the front door ahead of Fastify; the rest (encoded paths,
 * other content types) by Fastify's routes. Both must answer alike and enforce the same limits.
 */
describe('proxy front door', () => {
  let gw: TestGateway;
  let fake: FakeUpstream;
  let key: string;
  let localOnlyKey: string;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    const dataDir = tempDataDir();
    writeFileSync(
      join(dataDir, 'keywarden.yaml'),
      `proxy:\n  max_body_bytes: ${MAX_BODY}\n  trust_proxy: true\nhttp:\n  proxy_max_json_depth: 16\n`,
    );
    gw = await startGateway({ dataDir });
    await addOpenAiProvider(gw, fake.url);
    await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
    const create = async (body: object) =>
      (await gw.admin('POST', '/admin/v1/keys', { project: 'web', default_provider: 'openai', ...body })).body
        .key as string;
    key = await create({ name: 'app' });
    localOnlyKey = await create({ name: 'office', ip_allow: ['203.0.113.0/24'] });
  });

  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body,
    });

  /** What must match between the two shells: status, body and our own headers. */
  const shape = async (res: Response) => {
    const body = (await res.json()) as Record<string, unknown>;
    delete body.id;
    delete body.created;
    return {
      status: res.status,
      body,
      requestId: /^req_/.test(res.headers.get('x-request-id') ?? ''),
      csp: res.headers.get('content-security-policy'),
      nosniff: res.headers.get('x-content-type-options'),
    };
  };

  it('answers a plain path and its percent-encoded spelling alike', async () => {
    const plain = await shape(await post('/v1/chat/completions', chat));
    const encoded = await shape(await post('/v1/chat/%63ompletions', chat));
    expect(plain.status).toBe(200);
    expect(plain).toEqual(encoded);

    const refusedPlain = await shape(
      await post('/v1/chat/completions', chat, { authorization: `Bearer kw_${'x'.repeat(38)}` }),
    );
    const refusedEncoded = await shape(
      await post('/v1/chat/%63ompletions', chat, { authorization: `Bearer kw_${'x'.repeat(38)}` }),
    );
    expect(refusedPlain).toEqual(refusedEncoded);
    expect(refusedPlain).toMatchObject({
      status: 401,
      body: { error: { code: 'invalid_api_key', type: 'authentication_error' } },
      requestId: true,
      csp: expect.stringContaining("default-src 'none'"),
      nosniff: 'nosniff',
    });
  });

  it('serves /{provider}/... the same way as /v1/...', async () => {
    const viaProvider = await shape(await post('/openai/v1/chat/completions', chat));
    const viaV1 = await shape(await post('/v1/chat/completions', chat));
    expect(viaProvider).toEqual(viaV1);
  });

  it('refuses a body over max_body_bytes in the caller’s shape, declared or streamed', async () => {
    const big = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY) }],
    });
    const declared = await post('/v1/chat/completions', big);
    expect(declared.status).toBe(413);
    expect(declared.headers.get('connection')).toBe('close');
    expect(await declared.json()).toMatchObject({
      error: { code: 'body_too_large', type: 'invalid_request_error' },
    });

    // Chunked: no content-length to refuse up front, so the limit is counted as the body arrives.
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ error: { code: 'body_too_large' } });
    expect(fake.requests.filter((r) => r.body.includes('x'.repeat(100)))).toHaveLength(0);
  });

  it('refuses JSON nested deeper than proxy_max_json_depth before it goes upstream, in both shells', async () => {
    const marker = 'deep-body-marker';
    const deep = `{"model":"gpt-4o-mini","user":"${marker}","messages":${'['.repeat(20)}${']'.repeat(20)}}`;
    const plain = await shape(await post('/v1/chat/completions', deep));
    const encoded = await shape(await post('/v1/chat/%63ompletions', deep));
    expect(plain).toEqual(encoded);
    expect(plain).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json', message: 'the JSON body is nested deeper than 16 levels' } },
    });
    // At the limit (the object, then 15 arrays) it is proxied.
    const atLimit = `{"model":"gpt-4o-mini","user":"${marker}","messages":${'['.repeat(15)}${']'.repeat(15)}}`;
    expect((await post('/v1/chat/completions', atLimit)).status).toBe(200);
    expect(fake.requests.filter((r) => r.body.includes(marker))).toHaveLength(1);
  });

  it('takes the client address from X-Forwarded-For when trust_proxy is on', async () => {
    const headers = { authorization: `Bearer ${localOnlyKey}` };
    const inside = await post('/v1/chat/completions', chat, { ...headers, 'x-forwarded-for': '203.0.113.9' });
    expect(inside.status).toBe(200);
    const outside = await post('/v1/chat/completions', chat, {
      ...headers,
      'x-forwarded-for': '198.51.100.7',
    });
    expect(outside.status).toBe(403);
    expect(await outside.json()).toMatchObject({ error: { type: 'permission_error' } });
    // The leftmost address is the client's, as Fastify's trustProxy reads it.
    const chain = await post('/v1/chat/completions', chat, {
      ...headers,
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
    });
    expect(chain.status).toBe(200);
  });

  it('leaves keywarden’s own routes and unknown prefixes to Fastify', async () => {
    const unknown = await post('/nope/v1/chat/completions', chat);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_provider' } });
    const reserved = await gw.admin('POST', '/admin/v1/providers', {
      name: 'leak-reports',
      type: 'openai',
      base_url: fake.url,
      api_key: 'sk-test',
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.field).toBe('name');
  });
});

describe('proxy front door during shutdown', () => {
  it('answers a request that arrives on an open connection with 503 and closes it', async () => {
    const fake = await startFakeUpstream();
    const gw = await startGateway();
    try {
      await addOpenAiProvider(gw, fake.url);
      await gw.admin('POST', '/admin/v1/projects', { name: 'web' });
      const key = (
        await gw.admin('POST', '/admin/v1/keys', { name: 'app', project: 'web', default_provider: 'openai' })
      ).body.key as string;
      const { port } = new URL(gw.url);
      const streamBody = JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'count slowly' }],
      });
      const request = (body: string, extra: string) =>
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

      // A slow stream keeps the connection busy while shutdown begins; a second request then arrives on it.
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString();
      });
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(request(streamBody, 'x-fake-delay-ms: 30\r\nx-fake-output-tokens: 5\r\n'));
      await new Promise<void>((resolve) => {
        const check = () => (received.includes('data:') ? resolve() : setTimeout(check, 5));
        check();
      });
      const closing = gw.keywarden.close();
      socket.write(request(chat, ''));
      await closing;
      await closed;
      const answers = received.split(/(?=HTTP\/1\.1 )/);
      expect(answers).toHaveLength(2);
      expect(answers[0]).toMatch(/^HTTP\/1\.1 200/);
      expect(answers[0]).toContain('data: [DONE]');
      expect(answers[1]).toMatch(/^HTTP\/1\.1 503/);
      expect(answers[1]?.toLowerCase()).toContain('connection: close');
      expect(answers[1]).toContain('"code":"shutting_down"');
    } finally {
      await gw.stop().catch(() => undefined);
      await fake.close();
    }
  });
});
