import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEnvelope } from './crypto-envelope.js';

const masterKey = randomBytes(32);
const envelope = createEnvelope(masterKey, 'provider-credentials');

describe('crypto envelope', () => {
  it('opens what it sealed', () => {
    for (const plaintext of ['sk-proj-abc123', '', 'ключ 🔑 with unicode']) {
      expect(envelope.open(envelope.seal(plaintext, 'cred_1'), 'cred_1')).toBe(plaintext);
    }
  });

  it('opens with a second envelope built from the same master key and purpose', () => {
    const again = createEnvelope(Buffer.from(masterKey), 'provider-credentials');
    expect(again.open(envelope.seal('sk-live', 'cred_1'), 'cred_1')).toBe('sk-live');
  });

  it('refuses a ciphertext moved to another record id', () => {
    const sealed = envelope.seal('sk-live', 'cred_1');
    expect(() => envelope.open(sealed, 'cred_2')).toThrow();
  });

  it('refuses a ciphertext with any byte flipped', () => {
    const raw = Buffer.from(envelope.seal('sk-live-secret', 'cred_1'), 'base64');
    for (let i = 0; i < raw.length; i++) {
      const tampered = Buffer.from(raw);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      expect(() => envelope.open(tampered.toString('base64'), 'cred_1'), `byte ${i}`).toThrow();
    }
  });

  it('refuses a truncated ciphertext', () => {
    const raw = Buffer.from(envelope.seal('sk-live-secret', 'cred_1'), 'base64');
    for (const length of [0, 1, 13, 29, raw.length - 1]) {
      expect(() => envelope.open(raw.subarray(0, length).toString('base64'), 'cred_1')).toThrow();
    }
  });

  it('refuses to open under another master key', () => {
    const other = createEnvelope(randomBytes(32), 'provider-credentials');
    expect(() => other.open(envelope.seal('sk-live', 'cred_1'), 'cred_1')).toThrow();
  });

  it('refuses to open under another purpose of the same master key', () => {
    const other = createEnvelope(masterKey, 'something-else');
    expect(() => other.open(envelope.seal('sk-live', 'cred_1'), 'cred_1')).toThrow();
  });

  it('seals the same plaintext differently each time (random nonce)', () => {
    const first = envelope.seal('sk-live', 'cred_1');
    const second = envelope.seal('sk-live', 'cred_1');
    expect(first).not.toBe(second);
    expect(envelope.open(second, 'cred_1')).toBe('sk-live');
  });

  it('never contains the plaintext', () => {
    const sealed = envelope.seal('sk-live-VISIBLE', 'cred_1');
    expect(sealed).not.toContain('VISIBLE');
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('VISIBLE');
  });

  it.each([0, 16, 31, 33, 64])('throws on a %i-byte master key', (length) => {
    expect(() => createEnvelope(randomBytes(length), 'provider-credentials')).toThrow(/32 bytes/);
  });
});
