/**
 * An OpenAI-compatible upstream whose answer depends on the credential it is called with, for
 * failover tests: each known key answers 200 (a chat completion) unless told to answer another
 * status; unknown keys get 401. `hits` counts requests per key.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CredentialUpstream {
  url: string;
  /** Status per key; 200 serves a completion, anything else an OpenAI-shaped error. */
  status: Map<string, number>;
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startCredentialUpstream(keys: string[]): Promise<CredentialUpstream> {
  const status = new Map(keys.map((key) => [key, 200]));
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      hits.set(key, (hits.get(key) ?? 0) + 1);
      const answer = status.get(key) ?? 401;
      res.setHeader('content-type', 'application/json');
      if (answer !== 200) {
        if (answer === 429) res.setHeader('retry-after', '0');
        res.writeHead(answer);
        res.end(JSON.stringify({ error: { message: `fake ${answer}`, type: 'fake', code: String(answer) } }));
        return;
      }
      res.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 0,
          model: 'gpt-4o-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    status,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
