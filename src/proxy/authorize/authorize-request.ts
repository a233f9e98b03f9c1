import { GatewayError } from '../../domain/errors.js';
import { effectiveKeyStatus } from '../../domain/records.js';
import type { CompiledKey } from '../authenticate/key-directory.js';

export interface AuthorizationInput {
  key: CompiledKey;
  providerName: string;
  endpoint: string;
  model: string | null;
  clientIp: string;
  now: number;
}

/** Whether this key is live now and used from an address it allows; also guards delegation. */
export function authorizeKeyUse(key: CompiledKey, clientIp: string, now: number): void {
  const status = effectiveKeyStatus(key.record, now);
  if (status === 'revoked') throw new GatewayError('key_revoked', 'this API key has been revoked');
  if (status === 'suspended') throw new GatewayError('key_suspended', 'this API key is suspended');
  if (status === 'expired') throw new GatewayError('key_expired', 'this API key has expired');
  if (!key.allowsIp(clientIp)) {
    throw new GatewayError('ip_not_allowed', 'this API key may not be used from your IP address');
  }
}

/**
 * Whether this key may make this request now: its status and lifetime, the client's address, and
 * the provider, endpoint and model scopes. Listing models is allowed for every live key (the list
 * itself is filtered by scope), since SDKs call it to discover what they may use.
 */
export function authorizeRequest({
  key,
  providerName,
  endpoint,
  model,
  clientIp,
  now,
}: AuthorizationInput): void {
  authorizeKeyUse(key, clientIp, now);
  if (!key.allowsProvider(providerName)) {
    throw new GatewayError('provider_not_allowed', `this API key may not use provider ${providerName}`);
  }
  const listing = endpoint === 'models' && model === null;
  if (!listing && endpoint !== 'models' && !key.allowsEndpoint(endpoint)) {
    throw new GatewayError('endpoint_not_allowed', `this API key may not use the ${endpoint} endpoint`);
  }
  if (model !== null && !key.allowsModel(model)) {
    throw new GatewayError('model_not_allowed', `this API key may not use model ${model}`);
  }
}
