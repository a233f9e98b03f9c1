import { createAwsSecretsReader } from './aws-secrets.js';
import type { ExternalSecretReader } from './secret-ref.js';
import { createVaultClient, pickField, type VaultClient } from './vault-client.js';

/**
 * The external secret stores, configured from the environment the way their own tools are:
 * Vault from `VAULT_ADDR`, `VAULT_TOKEN` or `VAULT_ROLE_ID` + `VAULT_SECRET_ID` (AppRole, mount
 * `VAULT_APPROLE_MOUNT`, default `approle`), `VAULT_NAMESPACE`; AWS Secrets Manager from the SDK's
 * standard credential chain, `AWS_REGION` (or `AWS_DEFAULT_REGION`), and an optional endpoint in
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` (or `AWS_ENDPOINT_URL`).
 */
export function createExternalSecrets(env: NodeJS.ProcessEnv): {
  read: ExternalSecretReader;
  vault: VaultClient | undefined;
  close(): void;
} {
  const vault = env.VAULT_ADDR
    ? createVaultClient({
        address: env.VAULT_ADDR,
        token: env.VAULT_TOKEN,
        roleId: env.VAULT_ROLE_ID,
        secretId: env.VAULT_SECRET_ID,
        approleMount: env.VAULT_APPROLE_MOUNT,
        namespace: env.VAULT_NAMESPACE,
      })
    : undefined;
  const aws = createAwsSecretsReader({
    defaultRegion: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL,
  });

  const read: ExternalSecretReader = async (ref) => {
    if (ref.scheme === 'vault') {
      if (!vault) throw new Error('vault: reference used but VAULT_ADDR is not set');
      return pickField(await vault.read(ref.mount, ref.path, ref.version), ref.field);
    }
    if (ref.scheme === 'aws-sm') return aws.read(ref.secretId, ref.field, ref.region);
    return undefined;
  };
  return { read, vault, close: () => aws.close() };
}
