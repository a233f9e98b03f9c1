import type { APIError as AnthropicApiError } from '@anthropic-ai/sdk';
import Anthropic from '@anthropic-ai/sdk';
import type { APIError as OpenAIApiError } from 'openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSecret } from '../../src/domain/key-format.js';
import { adminOk, type ProxyEnv, startProxyEnv } from './proxy-env.js';

const hello = [{ role: 'user' as const, content: 'hello' }];

/** Runs `call`, expecting it to throw; returns what it threw. */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

describe('proxy access control', () => {
  let env: ProxyEnv;

  beforeAll(async () => {
    env = await startProxyEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  const chat = (client: OpenAI, model = 'gpt-4o-mini') =>
    client.chat.completions.create({ model, messages: hello });

  it('refuses a revoked key with the SDK AuthenticationError, right after revocation', async () => {
    const { id, key } = await env.createKey();
    const client = env.openai(key);
    await chat(client);
    const revoked = await adminOk<{ status: string }>(env.gw, 'POST', `/admin/v1/keys/${id}/revoke`);
    expect(revoked.status).toBe('revoked');
    const before = env.fake.requests.length;
    const error = await rejection(() => chat(client));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as OpenAIApiError).status).toBe(401);
    expect(env.fake.requests.length).toBe(before);
  });

  it('refuses a revoked key on the Anthropic route with the Anthropic SDK AuthenticationError', async () => {
    const { id, key } = await env.createKey({ default_provider: 'anthropic' });
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${id}/revoke`);
    const error = await rejection(() =>
      env.anthropic(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: hello }),
    );
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as AnthropicApiError).error).toMatchObject({
      type: 'error',
      error: { type: expect.any(String) },
    });
  });

  it('refuses a model outside the key scope with PermissionDeniedError and allows one inside it', async () => {
    const { key } = await env.createKey({ scopes: { models: ['gpt-4o*'] } });
    const client = env.openai(key);
    const ok = await chat(client, 'gpt-4o-mini');
    expect(ok.choices).toHaveLength(1);
    const before = env.fake.requests.length;
    const error = await rejection(() => chat(client, 'o3-mini'));
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as OpenAIApiError).error).toMatchObject({ message: expect.any(String) });
    expect(env.fake.requests.length).toBe(before);
  });

  it('refuses an Anthropic model outside the key scope with the Anthropic PermissionDeniedError', async () => {
    const { key } = await env.createKey({
      default_provider: 'anthropic',
      scopes: { models: ['claude-haiku-*'] },
    });
    const error = await rejection(() =>
      env.anthropic(key).messages.create({ model: 'claude-opus-4-7', max_tokens: 10, messages: hello }),
    );
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
  });

  it('refuses an endpoint outside the key scope with 403', async () => {
    const { key } = await env.createKey({ scopes: { endpoints: ['chat/completions'] } });
    const client = env.openai(key);
    await chat(client);
    const before = env.fake.requests.length;
    const error = await rejection(() =>
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    );
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as OpenAIApiError).status).toBe(403);
    expect(env.fake.requests.length).toBe(before);
  });

  it('refuses a provider outside the key scope with 403', async () => {
    const { key } = await env.createKey({ scopes: { providers: ['openai'] } });
    const error = await rejection(() =>
      env.anthropic(key).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: hello }),
    );
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
  });

  it('refuses a client address outside ip_allow with 403 and admits one inside it', async () => {
    const outside = await env.createKey({ ip_allow: ['10.0.0.0/8'] });
    const error = await rejection(() => chat(env.openai(outside.key)));
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);

    const inside = await env.createKey({ ip_allow: ['127.0.0.1/32', '::1/128'] });
    const ok = await chat(env.openai(inside.key));
    expect(ok.choices).toHaveLength(1);
  });

  it('refuses a key once its lifetime ends, and not before', async () => {
    const hour = 3_600_000;
    const created = await env.createKey({ expires_at: new Date(env.clock.now() + hour).toISOString() });
    const client = env.openai(created.key);
    await expect(chat(client)).resolves.toBeDefined();
    env.clock.advance(hour);
    const error = await rejection(() => chat(client));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain('expired');
  });

  it('refuses a well-formed but unknown key with 401', async () => {
    const unknown = issueSecret('key').secret;
    const error = await rejection(() => chat(env.openai(unknown)));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses malformed keys (bad checksum, wrong prefix, garbage) with 401', async () => {
    const good = (await env.createKey()).key;
    const last = good.at(-1) === 'A' ? 'B' : 'A';
    const badChecksum = `${good.slice(0, -1)}${last}`;
    for (const key of [badChecksum, 'kw_short', 'sk-not-a-keywarden-key', adminShaped(good)]) {
      const error = await rejection(() => chat(env.openai(key)));
      expect(error, key).toBeInstanceOf(OpenAI.AuthenticationError);
    }
    const anonymous = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: hello }),
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { message: expect.any(String) } });
  });

  it('does not accept the admin token as a proxy key', async () => {
    const error = await rejection(() => chat(env.openai(env.gw.adminToken)));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses invalid model names with 400 before reaching the upstream', async () => {
    const { key } = await env.createKey();
    const client = env.openai(key);
    const before = env.fake.requests.length;
    for (const model of ['../etc', 'gpt-4o/../../admin', 'gpt 4o', 'x'.repeat(129), 'model\u0000']) {
      const error = await rejection(() => chat(client, model));
      expect(error, JSON.stringify(model)).toBeInstanceOf(OpenAI.BadRequestError);
    }
    const anthropicKey = (await env.createKey({ default_provider: 'anthropic' })).key;
    const error = await rejection(() =>
      env.anthropic(anthropicKey).messages.create({ model: '../etc', max_tokens: 10, messages: hello }),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(env.fake.requests.length).toBe(before);
  });

  it('refuses paths with dot segments, so a scope cannot be sidestepped through the path', async () => {
    const { key } = await env.createKey({ scopes: { endpoints: ['embeddings'] } });
    const before = env.fake.requests.length;
    const { request } = await import('node:http');
    for (const path of ['/v1/models/../chat/completions', '/v1/models/%2E%2E/chat/completions']) {
      // fetch() would normalise the dot segments away before sending: write the raw request line.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${env.gw.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        });
        req.path = path;
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'gpt-4o-mini', messages: hello }));
      });
      expect(status, path).toBe(400);
    }
    expect(env.fake.requests.length).toBe(before);
  });

  it('refuses an unknown provider name with 404', async () => {
    const { key } = await env.createKey();
    const res = await fetch(`${env.gw.url}/nope/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: hello }),
    });
    expect(res.status).toBe(404);
  });
});

/** A string shaped like an admin token, built from a key's body: still not a valid proxy key. */
function adminShaped(key: string): string {
  return `kwa_${key.slice('kw_'.length)}`;
}
