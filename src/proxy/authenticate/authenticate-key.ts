import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../domain/errors.js';
import { hashSecret, isWellFormedSecret } from '../../domain/key-format.js';
import { previousSecretState } from '../../domain/rotation.js';
import type { CompiledKey, KeyDirectory } from './key-directory.js';

/**
 * The client's keywarden key, from wherever its SDK puts one: `Authorization: Bearer` (OpenAI SDK,
 * and the Anthropic SDK too when given an auth token) or `x-api-key` (Anthropic SDK).
 */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim();
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/**
 * Who is calling. A malformed key is refused by its checksum, before any lookup. The secret a key
 * had before its last rotation is accepted until its grace period ends, then refused as rotated.
 */
export async function authenticateKey(
  headers: IncomingHttpHeaders,
  keys: KeyDirectory,
  now: number,
  /** The secret's hash, when the caller already computed it. */
  knownHash?: string,
): Promise<CompiledKey> {
  const secret = presentedKey(headers);
  if (!secret) {
    throw new GatewayError(
      'missing_api_key',
      'no API key: send your keywarden key as Authorization: Bearer kw_...',
    );
  }
  if (!isWellFormedSecret(secret, 'key')) throw new GatewayError('invalid_api_key', 'invalid API key');
  const hash = knownHash ?? hashSecret(secret);
  const key = await keys.byHash(hash);
  if (!key) throw new GatewayError('invalid_api_key', 'invalid API key');
  // The directory found this key by the whole hash, so the hash equals the current or the previous
  // secret's; plain comparison only tells which (a constant-time one would hide nothing more).
  if (key.record.secretHash === hash) return key;
  if (key.record.previousSecretHash !== hash) throw new GatewayError('invalid_api_key', 'invalid API key');
  if (previousSecretState(key.record, hash, now) === 'rotated') {
    throw new GatewayError(
      'key_rotated',
      'this API key was rotated and its grace period is over: use the new secret',
    );
  }
  return key;
}
