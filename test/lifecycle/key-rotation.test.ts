import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/cli-harness.js';
import { adminOk, type ProxyEnv, startProxyEnv } from '../proxy/proxy-env.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let env: ProxyEnv;
beforeAll(async () => {
  env = await startProxyEnv();
});
afterAll(async () => {
  await env?.close();
});

async function chat(key: string): Promise<{ ok: true } | { ok: false; status: number; code: unknown }> {
  try {
    await env.openai(key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    return { ok: true };
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { ok: false, status: error.status ?? 0, code: error.code };
    throw error;
  }
}

describe('key rotation', () => {
  it('under steady traffic: no request fails during the grace period, every old-secret request is refused after it', async () => {
    const created = await env.createKey();
    const oldSecret = created.key;
    let newSecret: string | undefined;
    const results: Array<Awaited<ReturnType<typeof chat>>> = [];
    let rotated = false;

    // Four clients send back to back; the rotation lands in the middle of their traffic.
    const clients = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 15; i++) {
        results.push(await chat(oldSecret));
        if (newSecret) results.push(await chat(newSecret));
      }
    });
    const rotation = (async () => {
      while (results.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
      const answer = await adminOk<{ id: string; key: string }>(
        env.gw,
        'POST',
        `/admin/v1/keys/${created.id}/rotate`,
        { grace_seconds: 3600 },
      );
      expect(answer.id).toBe(created.id);
      newSecret = answer.key;
      rotated = true;
    })();
    await Promise.all([...clients, rotation]);
    expect(rotated).toBe(true);
    expect(results.length).toBeGreaterThan(60);
    expect(results.filter((r) => !r.ok)).toEqual([]);

    env.clock.advance(HOUR + 1);
    const after = await Promise.all(Array.from({ length: 10 }, () => chat(oldSecret)));
    expect(after).toEqual(
      Array.from({ length: 10 }, () => ({ ok: false, status: 401, code: 'key_rotated' })),
    );
    expect(await chat(newSecret as string)).toEqual({ ok: true });

    // Same key: its usage holds the requests made with both secrets.
    const usage = await env.usageByModel(created.id);
    expect(usage.totals.requests).toBe(results.length + 1);
  });

  it('a grace of 0 ends the old secret at once, with a message saying it was rotated', async () => {
    const created = await env.createKey();
    const answer = await adminOk<{ key: string }>(env.gw, 'POST', `/admin/v1/keys/${created.id}/rotate`, {
      grace_seconds: 0,
    });
    const refused = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    });
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('key_rotated');
    expect(body.error.message).toMatch(/rotated/);
    expect(await chat(answer.key)).toEqual({ ok: true });
  });

  it('the default grace is a day', async () => {
    const created = await env.createKey();
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${created.id}/rotate`, {});
    env.clock.advance(DAY - 60_000);
    expect(await chat(created.key)).toEqual({ ok: true });
    env.clock.advance(120_000);
    expect(await chat(created.key)).toMatchObject({ ok: false, code: 'key_rotated' });
  });

  it('a secret two rotations old is unknown', async () => {
    const created = await env.createKey();
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${created.id}/rotate`, {});
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${created.id}/rotate`, {});
    expect(await chat(created.key)).toMatchObject({ ok: false, code: 'invalid_api_key' });
  });

  it('a revoked key cannot be rotated', async () => {
    const created = await env.createKey();
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${created.id}/revoke`);
    const res = await env.gw.admin('POST', `/admin/v1/keys/${created.id}/rotate`, {});
    expect(res.status).toBe(409);
  });

  it('keywarden keys rotate prints the new secret once and it works', async () => {
    const created = await env.createKey();
    const run = await cli(['keys', 'rotate', created.id, '--grace', '0', '--json', '--url', env.gw.url], {
      env: { KEYWARDEN_ADMIN_TOKEN: env.gw.adminToken },
      realFetch: true,
    });
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout) as { key: string };
    expect(await chat(answer.key)).toEqual({ ok: true });
    expect(await chat(created.key)).toMatchObject({ ok: false, code: 'key_rotated' });
  });
});

describe('rotation policies', () => {
  it("flags a key past its own max_age, and a key under its project's policy", async () => {
    const own = await env.createKey({ rotation_policy: { max_age_seconds: 90 * 86_400 } });
    await adminOk(env.gw, 'POST', '/admin/v1/projects', {
      name: 'rotated-project',
      rotation_policy: { max_age_seconds: 30 * 86_400 },
    });
    const inherited = await env.createKey({ project: 'rotated-project' });
    const free = await env.createKey();

    const overdue = async (id: string) =>
      (await adminOk<{ rotation_overdue: boolean }>(env.gw, 'GET', `/admin/v1/keys/${id}`)).rotation_overdue;
    expect([await overdue(own.id), await overdue(inherited.id), await overdue(free.id)]).toEqual([
      false,
      false,
      false,
    ]);
    env.clock.advance(31 * DAY);
    expect([await overdue(own.id), await overdue(inherited.id)]).toEqual([false, true]);
    env.clock.advance(60 * DAY);
    expect([await overdue(own.id), await overdue(free.id)]).toEqual([true, false]);

    // Rotating starts the clock again.
    await adminOk(env.gw, 'POST', `/admin/v1/keys/${own.id}/rotate`, { grace_seconds: 0 });
    expect(await overdue(own.id)).toBe(false);

    const run = await cli(['keys', 'list', '--project', 'rotated-project', '--url', env.gw.url], {
      env: { KEYWARDEN_ADMIN_TOKEN: env.gw.adminToken },
      realFetch: true,
    });
    expect(run.stdout).toContain('OVERDUE');
  });

  it('refuses a policy that auto-rotates with nowhere to deliver the secret', async () => {
    const res = await env.gw.admin('POST', '/admin/v1/keys', {
      name: 'no-sink',
      project: 'web',
      rotation_policy: { max_age_seconds: 86_400, auto_rotate: true },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('rotation_policy.sink');
  });
});
