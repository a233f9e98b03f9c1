import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  created: 0,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});

/**
 * An upstream that, asked with `x-cut: yes`, promises a JSON body and hangs up halfway through it;
 * asked with `x-hang: yes`, never answers.
 */
describe('answers cut short by either side', () => {
  let server: http.Server;
  let gw: TestGateway;
  let key: string;

  /** Resolves when an upstream request asked to hang (`x-hang: yes`) is closed by the gateway. */
  let hungUpOn: Promise<void> = Promise.resolve();
  let arrived: () => void = () => undefined;
  /** Upstream requests asked to wait under a name (`x-hold: name`), until answered or closed. */
  const holds = new Map<string, { arrived: (res: http.ServerResponse) => void; closed: () => void }>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      const hold = holds.get(String(req.headers['x-hold']));
      if (hold) {
        res.on('close', hold.closed);
        hold.arrived(res);
        return;
      }
      if (req.headers['x-hang'] === 'yes') {
        hungUpOn = new Promise((resolve) => res.on('close', () => resolve()));
        arrived();
        return;
      }
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
        if (req.headers['x-cut'] !== 'yes') {
          res.end(ANSWER);
          return;
        }
        res.write(ANSWER.slice(0, 40), () => res.destroy());
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    gw = await startGateway({ captureLogs: true });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await gw.admin('POST', '/admin/v1/providers', {
      name: 'local',
      type: 'openai-compatible',
      base_url: base,
    });
    await gw.admin('POST', '/admin/v1/projects', { name: 'lab' });
    key = (await gw.admin('POST', '/admin/v1/keys', { name: 'k', project: 'lab', default_provider: 'local' }))
      .body.key;
  });

  afterAll(async () => {
    await gw.stop();
    server.close();
  });

  const ask = (cut: boolean) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(cut && { 'x-cut': 'yes' }),
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('becomes a 502 in the provider error shape, never truncated JSON, and is metered as cut off', async () => {
    const cut = await ask(true);
    expect(cut.status).toBe(502);
    const body = (await cut.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_unreachable');
    expect(body.error.message).toMatch(/before it was complete/);

    const whole = await ask(false);
    expect(whole.status).toBe(200);
    expect(await whole.text()).toBe(ANSWER);

    await gw.flushUsage();
    const usage = await gw.admin('GET', '/admin/v1/usage?group_by=day');
    expect(usage.body.totals.requests).toBe(2);
    expect(usage.body.totals.output_tokens).toBe(1);
  });

  it('abandons the upstream request when the client goes away before the answer', async () => {
    const reachedUpstream = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const client = new AbortController();
    const asked = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-hang': 'yes' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      signal: client.signal,
    });
    await reachedUpstream;
    client.abort();
    await expect(asked).rejects.toThrow();
    await hungUpOn;

    // Metered as abandoned, and logged as the client's doing, not as a gateway error with a stack.
    await gw.flushUsage();
    const events = await gw.admin('GET', '/admin/v1/usage/events?limit=1');
    expect(events.body.data[0]).toMatchObject({ status: 499 });
    const lines = gw.logs.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.map((line) => line.msg)).toContain('client went away before the answer');
  });

  it.each([
    ['revoke', 'key_revoked'],
    ['suspend', 'key_suspended'],
  ])(
    '%s: a request still waiting for the provider is refused at once and abandoned upstream',
    async (action, code) => {
      const created = (
        await gw.admin('POST', '/admin/v1/keys', {
          name: `waiting-${action}`,
          project: 'lab',
          default_provider: 'local',
        })
      ).body;
      const reachedUpstream = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const asked = fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${created.key}`,
          'content-type': 'application/json',
          'x-hang': 'yes',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await reachedUpstream;
      expect((await gw.admin('POST', `/admin/v1/keys/${created.id}/${action}`)).status).toBe(200);
      const refused = await asked;
      expect(refused.status).toBe(401);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.message).toMatch(/while its request was in flight/);
      await hungUpOn;
    },
  );

  it("revoking a key cuts every request it still has in flight, after others of it ended, and no other key's", async () => {
    const keyOf = async (name: string): Promise<{ id: string; key: string }> =>
      (await gw.admin('POST', '/admin/v1/keys', { name, project: 'lab', default_provider: 'local' })).body;
    const [revoked, other] = [await keyOf('revoked-many'), await keyOf('other')];
    /** A request that waits at the upstream under `name` until answered or closed; resolves once it is there. */
    const send = async (name: string, key: string) => {
      let arrived: (res: http.ServerResponse) => void = () => undefined;
      let closed: () => void = () => undefined;
      const upstream = {
        arrived: new Promise<http.ServerResponse>((resolve) => {
          arrived = resolve;
        }),
        closed: new Promise<void>((resolve) => {
          closed = resolve;
        }),
      };
      holds.set(name, { arrived, closed });
      const client = new AbortController();
      const answer = fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-hold': name },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        signal: client.signal,
      }).catch((error: Error) => error);
      await upstream.arrived;
      return { upstream, client, answer };
    };
    // One after the other, so that the key holds them in this order.
    const a1 = await send('a1', revoked.key);
    const a2 = await send('a2', revoked.key);
    const a3 = await send('a3', revoked.key);
    const b1 = await send('b1', other.key);

    // The middle one of the key's three ends first: the client goes away.
    a2.client.abort();
    await a2.upstream.closed;
    expect((await gw.admin('POST', `/admin/v1/keys/${revoked.id}/revoke`)).status).toBe(200);

    for (const request of [a1, a3]) {
      const refused = (await request.answer) as Response;
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('key_revoked');
      await request.upstream.closed;
    }
    // The other key's request was left alone: its provider's answer still reaches its client.
    const otherUpstream = await b1.upstream.arrived;
    otherUpstream.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
    otherUpstream.end(ANSWER);
    const answered = (await b1.answer) as Response;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ id: 'x' });
  });
});
