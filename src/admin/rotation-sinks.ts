import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RotationSink } from '../domain/records.js';
import { parseSecretRef, type SecretRefResolver } from '../secrets/secret-ref.js';
import type { VaultClient } from '../secrets/vault-client.js';

/** What a sink receives when keywarden rotates a key by itself. */
export interface RotatedSecret {
  key_id: string;
  key_name: string;
  project_id: string;
  /** The new secret. Delivered to the sink only: never logged, never stored. */
  key: string;
  rotated_at: string;
  previous_secret_valid_until: string;
}

export interface SecretSinks {
  /** Delivers the secret, retrying with backoff; throws when every attempt failed. */
  deliver(sink: RotationSink, secret: RotatedSecret): Promise<void>;
}

export const SIGNATURE_HEADER = 'x-keywarden-signature';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the sink's signing secret. */
export function signBody(body: string, signingSecret: string): string {
  return `sha256=${createHmac('sha256', signingSecret).update(body).digest('hex')}`;
}

/**
 * Where automatically rotated secrets go: a webhook (JSON body signed with HMAC-SHA256 in
 * `x-keywarden-signature`, retried with exponential backoff on network errors and non-2xx) or a
 * Vault KV v2 path (field `api_key`). Errors say which sink failed, never what was sent.
 */
export function createSecretSinks(deps: {
  secretRefs: SecretRefResolver;
  vault: VaultClient | undefined;
  fetch?: typeof fetch;
  attempts?: number;
  backoffMs?: number;
}): SecretSinks {
  const doFetch = deps.fetch ?? fetch;
  const attempts = deps.attempts ?? 5;
  const backoffMs = deps.backoffMs ?? 250;

  const withRetries = async (what: string, once: () => Promise<void>) => {
    let last: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1));
      try {
        return await once();
      } catch (error) {
        last = error;
      }
    }
    throw new Error(`${what} failed after ${attempts} attempts: ${(last as Error)?.message ?? last}`);
  };

  return {
    async deliver(sink, secret) {
      if (sink.type === 'webhook') {
        const ref = parseSecretRef(sink.signing_secret_ref);
        const signingSecret = typeof ref === 'string' ? undefined : await deps.secretRefs.resolve(ref);
        if (!signingSecret) throw new Error('webhook sink: its signing secret reference resolves to nothing');
        const body = JSON.stringify({ type: 'key.rotated', ...secret });
        await withRetries('webhook delivery', async () => {
          const response = await doFetch(sink.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              [SIGNATURE_HEADER]: signBody(body, signingSecret),
            },
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(10_000),
          });
          await response.body?.cancel();
          if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
        });
        return;
      }
      const vault = deps.vault;
      if (!vault) throw new Error('vault sink: VAULT_ADDR is not set');
      const slash = sink.path.indexOf('/');
      await withRetries('vault delivery', () =>
        vault.write(sink.path.slice(0, slash), sink.path.slice(slash + 1), {
          api_key: secret.key,
          key_id: secret.key_id,
        }),
      );
    },
  };
}
