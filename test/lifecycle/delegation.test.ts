import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDelegationClient, DelegationError } from '../../src/client/index.js';
import { adminOk, type ProxyEnv, startProxyEnv } from '../proxy/proxy-env.js';

let env: ProxyEnv;
beforeAll(async () => {
  env = await startProxyEnv();
});
afterAll(async () => {
  await env?.close();
});

async function chat(key: string, model = 'gpt-4o-mini') {
  try {
    await env.openai(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    return { ok: true as const };
  } catch (error) {
    if (error instanceof OpenAI.APIError)
      return { ok: false as const, status: error.status, code: error.code };
    throw error;
  }
}

const agent = (key: string) => createDelegationClient({ baseUrl: `${env.gw.url}/v1`, apiKey: key });
let sequence = 0;
const childName = () => `sub-agent-${++sequence}`;

describe('delegated keys', () => {
  it('an agent key mints a narrower sub-agent key with its own key, and the sub-agent can use it', async () => {
    const parent = await env.createKey({ can_delegate: true, scopes: { models: ['gpt-4o*'] } });
    const child = await agent(parent.key).delegate({
      name: childName(),
      ttl_seconds: 600,
      scopes: { models: ['gpt-4o-mini'] },
    });
    expect(child.parent_id).toBe(parent.id);
    expect(child.key).toMatch(/^kw_/);
    expect(Date.parse(child.expires_at ?? '')).toBe(env.clock.now() + 600_000);
    expect(await chat(child.key)).toEqual({ ok: true });
    expect(await chat(child.key, 'gpt-4o')).toMatchObject({
      ok: false,
      status: 403,
      code: 'model_not_allowed',
    });

    const shown = await adminOk<{ parent_id: string; depth: number }>(
      env.gw,
      'GET',
      `/admin/v1/keys/${child.id}`,
    );
    expect(shown).toMatchObject({ parent_id: parent.id, depth: 1 });
  });

  it('refuses a scope wider than the parent, naming the entry', async () => {
    const parent = await env.createKey({ can_delegate: true, scopes: { models: ['gpt-4o*'] } });
    const refused = await agent(parent.key)
      .delegate({ name: childName(), ttl_seconds: 60, scopes: { models: ['o3-mini'] } })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DelegationError);
    expect(refused).toMatchObject({ status: 400, code: 'validation_error' });
    expect((refused as Error).message).toContain('o3-mini');
  });

  it('refuses a key made without can_delegate, and needs no admin token', async () => {
    const plain = await env.createKey();
    await expect(agent(plain.key).delegate({ name: childName(), ttl_seconds: 60 })).rejects.toMatchObject({
      status: 403,
      code: 'delegation_not_allowed',
    });
    await expect(agent('kw_notakey').delegate({ name: childName(), ttl_seconds: 60 })).rejects.toMatchObject({
      status: 401,
    });
  });

  it('a child ends no later than its parent', async () => {
    const parentExpiry = new Date(env.clock.now() + 120_000).toISOString();
    const parent = await env.createKey({ can_delegate: true, expires_at: parentExpiry });
    const child = await agent(parent.key).delegate({ name: childName(), ttl_seconds: 3600 });
    expect(child.expires_at).toBe(parentExpiry);
    env.clock.advance(121_000);
    expect(await chat(child.key)).toMatchObject({ ok: false, code: 'key_expired' });
  });

  it('stops at the maximum depth', async () => {
    let key = (await env.createKey({ can_delegate: true })).key;
    for (let depth = 1; depth <= 2; depth++) {
      key = (await agent(key).delegate({ name: childName(), ttl_seconds: 600, can_delegate: true })).key;
    }
    const deepest = await agent(key).delegate({ name: childName(), ttl_seconds: 600 });
    expect(deepest.depth).toBe(3);
    await expect(
      agent(key).delegate({ name: childName(), ttl_seconds: 600, can_delegate: true }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(agent(deepest.key).delegate({ name: childName(), ttl_seconds: 600 })).rejects.toMatchObject({
      status: 403,
      code: 'delegation_not_allowed',
    });
  });

  it('revoking or suspending a parent does the same to its descendants', async () => {
    const parent = await env.createKey({ can_delegate: true });
    const child = await agent(parent.key).delegate({
      name: childName(),
      ttl_seconds: 600,
      can_delegate: true,
    });
    const grandchild = await agent(child.key).delegate({ name: childName(), ttl_seconds: 600 });

    await adminOk(env.gw, 'POST', `/admin/v1/keys/${parent.id}/suspend`);
    expect(await chat(grandchild.key)).toMatchObject({ ok: false, code: 'key_suspended' });
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${parent.id}/resume`);
    expect(await chat(grandchild.key)).toEqual({ ok: true });
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${parent.id}/revoke`);
    expect(await chat(child.key)).toMatchObject({ ok: false, code: 'key_revoked' });
    expect(await chat(grandchild.key)).toMatchObject({ ok: false, code: 'key_revoked' });
  });

  it('usage shows the chain: filter by parent and group by parent', async () => {
    const parent = await env.createKey({ can_delegate: true });
    const a = await agent(parent.key).delegate({ name: childName(), ttl_seconds: 600 });
    const b = await agent(parent.key).delegate({ name: childName(), ttl_seconds: 600 });
    for (const key of [a.key, a.key, b.key, parent.key]) expect(await chat(key)).toEqual({ ok: true });
    await env.gw.flushUsage();
    const byParent = await adminOk<{ totals: { requests: number } }>(
      env.gw,
      'GET',
      `/admin/v1/usage?parent=${parent.id}`,
    );
    expect(byParent.totals.requests).toBe(3);
    const grouped = await adminOk<{ data: Array<{ key: string; requests: number }> }>(
      env.gw,
      'GET',
      `/admin/v1/usage?parent=${parent.id}&group_by=key`,
    );
    expect(grouped.data.map((row) => [row.key, row.requests]).sort()).toEqual(
      [
        [a.id, 2],
        [b.id, 1],
      ].sort(),
    );
    const chain = await adminOk<{ data: Array<{ parent: string | null; parent_name: string | null }> }>(
      env.gw,
      'GET',
      `/admin/v1/usage?group_by=parent&key=${a.id}`,
    );
    expect(chain.data).toMatchObject([{ parent: parent.id, parent_name: parent.name, requests: 2 }]);
  });
});

describe('open streams', () => {
  it.each(['revoke', 'suspend'])("%s: the key's open stream is cut within a few seconds", async (action) => {
    const created = await env.createKey();
    const stream = await env
      .openai(created.key)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tell me a long story' }], stream: true },
        { headers: { 'x-fake-output-tokens': '400', 'x-fake-delay-ms': '20' } },
      );
    let chunks = 0;
    const started = Date.now();
    const consumed = (async () => {
      for await (const _ of stream) {
        chunks++;
        if (chunks === 3) await adminOk(env.gw, 'POST', `/admin/v1/keys/${created.id}/${action}`);
      }
    })();
    await expect(consumed).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(chunks).toBeLessThan(100);
  });

  it("a parent's suspension cuts its sub-agent's stream too", async () => {
    const parent = await env.createKey({ can_delegate: true });
    const child = await agent(parent.key).delegate({ name: childName(), ttl_seconds: 600 });
    const stream = await env
      .openai(child.key)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'go' }], stream: true },
        { headers: { 'x-fake-output-tokens': '400', 'x-fake-delay-ms': '20' } },
      );
    let chunks = 0;
    const consumed = (async () => {
      for await (const _ of stream) {
        if (++chunks === 3) await adminOk(env.gw, 'POST', `/admin/v1/keys/${parent.id}/suspend`);
      }
    })();
    await expect(consumed).rejects.toThrow();
    expect(chunks).toBeLessThan(100);
  });
});
