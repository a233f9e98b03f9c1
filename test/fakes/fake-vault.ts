/**
 * A local stand-in for the parts of HashiCorp Vault keywarden uses, following Vault's documented
 * HTTP API: KV v2 read (`GET /v1/<mount>/data/<path>[?version=N]` → `{"data":{"data":{...},
 * "metadata":{"version":N}}}`), KV v2 write (`POST /v1/<mount>/data/<path>` `{"data":{...}}`),
 * and AppRole login (`POST /v1/auth/approle/login` `{"role_id","secret_id"}` →
 * `{"auth":{"client_token":...}}`). Tokens go in `X-Vault-Token`; when `namespace` is set, every
 * request must carry it in `X-Vault-Namespace`. Errors are `{"errors":[...]}` as Vault sends them.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVault {
  url: string;
  /** Writes a new version of a secret (as `vault kv put` would). */
  put(mount: string, path: string, data: Record<string, string>): void;
  /** Every version of a secret, oldest first. */
  versions(mount: string, path: string): Array<Record<string, string>>;
  reads: number;
  /** Revokes every issued token, as an expiry would. */
  expireTokens(): void;
  close(): Promise<void>;
}

export async function startFakeVault(options: {
  rootToken: string;
  roleId?: string;
  secretId?: string;
  namespace?: string;
}): Promise<FakeVault> {
  const secrets = new Map<string, Array<Record<string, string>>>();
  const tokens = new Set([options.rootToken]);
  let issued = 0;
  let reads = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const url = new URL(req.url ?? '/', 'http://vault');
      if (options.namespace && req.headers['x-vault-namespace'] !== options.namespace) {
        return send(403, { errors: ['permission denied'] });
      }
      if (req.method === 'POST' && url.pathname === '/v1/auth/approle/login') {
        if (body?.role_id !== options.roleId || body?.secret_id !== options.secretId) {
          return send(400, { errors: ['invalid role or secret ID'] });
        }
        const token = `hvs.approle-${++issued}`;
        tokens.add(token);
        return send(200, { auth: { client_token: token, lease_duration: 3600, renewable: true } });
      }
      if (!tokens.has(String(req.headers['x-vault-token'] ?? ''))) {
        return send(403, { errors: ['permission denied'] });
      }
      const match = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(url.pathname);
      if (!match) return send(404, { errors: [] });
      const id = `${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`;
      if (req.method === 'POST') {
        const list = secrets.get(id) ?? [];
        list.push(body.data);
        secrets.set(id, list);
        return send(200, { data: { version: list.length } });
      }
      reads++;
      const list = secrets.get(id);
      const version = url.searchParams.has('version')
        ? Number(url.searchParams.get('version'))
        : list?.length;
      const data = list && version ? list[version - 1] : undefined;
      if (!data) return send(404, { errors: [] });
      send(200, {
        request_id: 'fake',
        data: { data, metadata: { version, created_time: new Date().toISOString(), destroyed: false } },
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    put(mount, path, data) {
      const id = `${mount}/${path}`;
      secrets.set(id, [...(secrets.get(id) ?? []), data]);
    },
    versions: (mount, path) => secrets.get(`${mount}/${path}`) ?? [],
    get reads() {
      return reads;
    },
    expireTokens() {
      for (const token of tokens) if (token !== options.rootToken) tokens.delete(token);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
