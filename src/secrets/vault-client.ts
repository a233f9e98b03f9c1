/**
 * A small client for the parts of HashiCorp Vault keywarden uses: KV v2 read and write
 * (`/v1/<mount>/data/<path>`) and AppRole login (`/v1/auth/<mount>/login`), with namespaces
 * (`X-Vault-Namespace`). Tested against a local stand-in implementing those documented paths.
 */
export interface VaultOptions {
  address: string;
  token?: string | undefined;
  roleId?: string | undefined;
  secretId?: string | undefined;
  approleMount?: string | undefined;
  namespace?: string | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface VaultClient {
  /** The secret's fields at `version` (latest when undefined); undefined when there is none. */
  read(mount: string, path: string, version?: number): Promise<Record<string, unknown> | undefined>;
  /** Writes a new version of the secret. */
  write(mount: string, path: string, data: Record<string, string>): Promise<void>;
}

export class VaultError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export function createVaultClient(options: VaultOptions): VaultClient {
  const base = options.address.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  let token = options.token;
  const appRole = options.roleId !== undefined && options.secretId !== undefined;

  const call = async (method: string, path: string, body?: unknown, auth = true): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth && token) headers['x-vault-token'] = token;
    if (options.namespace) headers['x-vault-namespace'] = options.namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return doFetch(`${base}/v1/${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  };

  const login = async () => {
    const mount = options.approleMount ?? 'approle';
    const response = await call(
      'POST',
      `auth/${mount}/login`,
      { role_id: options.roleId, secret_id: options.secretId },
      false,
    );
    if (!response.ok)
      throw new VaultError(response.status, `Vault AppRole login failed (${response.status})`);
    const json = (await response.json()) as { auth?: { client_token?: string } };
    if (!json.auth?.client_token) throw new VaultError(502, 'Vault AppRole login returned no token');
    token = json.auth.client_token;
  };

  /** Logs in when needed; with AppRole, a 403 (token expired) logs in again once. */
  const authed = async (method: string, path: string, body?: unknown): Promise<Response> => {
    if (!token && appRole) await login();
    let response = await call(method, path, body);
    if (response.status === 403 && appRole) {
      await login();
      response = await call(method, path, body);
    }
    return response;
  };

  const dataPath = (mount: string, path: string) =>
    `${encodeURIComponent(mount)}/data/${path.split('/').map(encodeURIComponent).join('/')}`;

  return {
    async read(mount, path, version) {
      const query = version === undefined ? '' : `?version=${version}`;
      const response = await authed('GET', `${dataPath(mount, path)}${query}`);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new VaultError(response.status, `Vault read failed (${response.status})`);
      const json = (await response.json()) as { data?: { data?: Record<string, unknown> | null } };
      return json.data?.data ?? undefined;
    },
    async write(mount, path, data) {
      const response = await authed('POST', dataPath(mount, path), { data });
      if (!response.ok) throw new VaultError(response.status, `Vault write failed (${response.status})`);
    },
  };
}

/** One field of a secret: the named one, or the only one when no field is named. */
export function pickField(
  data: Record<string, unknown> | undefined,
  field: string | undefined,
): string | undefined {
  if (!data) return undefined;
  const entries = Object.entries(data);
  const value = field === undefined ? (entries.length === 1 ? entries[0]?.[1] : undefined) : data[field];
  return typeof value === 'string' ? value : undefined;
}
