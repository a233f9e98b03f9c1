import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM envelope for secrets at rest. The data key is derived from the master key with
 * HKDF so the master key itself never encrypts anything, and each record binds its own id as
 * additional data: a ciphertext copied to another row fails authentication instead of decrypting.
 */
export interface Envelope {
  seal(plaintext: string, recordId: string): string;
  /** Throws when the ciphertext was tampered with, moved, or sealed under another master key. */
  open(sealed: string, recordId: string): string;
}

export function createEnvelope(masterKey: Buffer, purpose: string): Envelope {
  if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  const dataKey = Buffer.from(
    hkdfSync('sha256', masterKey, Buffer.from('keywarden'), Buffer.from(purpose), 32),
  );
  return {
    seal(plaintext, recordId) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
      cipher.setAAD(Buffer.from(recordId));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed, recordId) {
      const raw = Buffer.from(sealed, 'base64');
      if (raw[0] !== VERSION || raw.length < 1 + NONCE_BYTES + TAG_BYTES)
        throw new Error('unknown envelope format');
      const nonce = raw.subarray(1, 1 + NONCE_BYTES);
      const tag = raw.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', dataKey, nonce);
      decipher.setAAD(Buffer.from(recordId));
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(raw.subarray(1 + NONCE_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
