import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/** A local model server (Ollama, vLLM) that takes no key, as such servers usually do. */
describe('an openai-compatible provider without a credential', () => {
  let server: http.Server;
  let gw: TestGateway;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'llama3',
            choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          }),
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    gw = await startGateway();
  });

  afterAll(async () => {
    await gw.stop();
    server.close();
  });

  it('is accepted, and requests reach it with no credential at all', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const created = await gw.admin('POST', '/admin/v1/providers', {
      name: 'ollama',
      type: 'openai-compatible',
      base_url: base,
    });
    expect(created.status).toBe(201);
    expect(created.body.credentials).toEqual([]);
    await gw.admin('POST', '/admin/v1/projects', { name: 'lab' });
    const key = (
      await gw.admin('POST', '/admin/v1/keys', { name: 'k', project: 'lab', default_provider: 'ollama' })
    ).body;

    const client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const reply = await client.chat.completions.create({
      model: 'llama3',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.usage?.total_tokens).toBe(4);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.authorization).toBeUndefined();
    expect(seen[0]?.['x-api-key']).toBeUndefined();
  });

  it('is still refused for providers that need a key', async () => {
    const refused = await gw.admin('POST', '/admin/v1/providers', { name: 'openai', type: 'openai' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.field).toBe('api_key');
  });
});
