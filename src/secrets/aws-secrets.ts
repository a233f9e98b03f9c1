import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { pickField } from './vault-client.js';

/** The SDK is loaded on first use: a gateway without `aws-sm:` references never pays for it. */
const loadSdk = () => import('@aws-sdk/client-secrets-manager');

export interface AwsSecretsOptions {
  /** Region when the reference names none and its id is not an ARN. */
  defaultRegion: string;
  /** A custom endpoint (a local stand-in, a VPC endpoint); the SDK's own default otherwise. */
  endpoint?: string | undefined;
}

/**
 * Reads AWS Secrets Manager secrets with the official SDK and its standard credential chain
 * (env, shared config, SSO, web identity, container and instance roles). A secret holding JSON
 * can be narrowed to one field. One client per region, made on first use.
 */
export function createAwsSecretsReader(options: AwsSecretsOptions) {
  const clients = new Map<string, SecretsManagerClient>();
  const clientFor = async (region: string) => {
    let client = clients.get(region);
    if (!client) {
      const { SecretsManagerClient } = await loadSdk();
      client = new SecretsManagerClient({
        region,
        ...(options.endpoint && { endpoint: options.endpoint }),
        maxAttempts: 2,
      });
      clients.set(region, client);
    }
    return client;
  };

  return {
    async read(secretId: string, field: string | undefined, region: string | undefined) {
      const arnRegion = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretId)?.[1];
      const client = await clientFor(region ?? arnRegion ?? options.defaultRegion);
      const { GetSecretValueCommand } = await loadSdk();
      let answer: { SecretString?: string | undefined };
      try {
        answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      } catch (error) {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
      const text = answer.SecretString;
      if (text === undefined || field === undefined) return text;
      try {
        return pickField(JSON.parse(text) as Record<string, unknown>, field);
      } catch {
        return undefined;
      }
    },
    close() {
      for (const client of clients.values()) client.destroy();
    },
  };
}
