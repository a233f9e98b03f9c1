import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/load-config.js';
import { createMasterKeyFile, MASTER_KEY_FILE, readMasterKey } from './master-key.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'keywarden-key-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('master key', () => {
  it('is created as a 32-byte base64 key file readable by the owner only', () => {
    const created = createMasterKeyFile(dataDir);
    const path = join(dataDir, MASTER_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(created.key).toHaveLength(32);
    expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').equals(created.key)).toBe(true);
    expect(readMasterKey(dataDir, undefined)?.key.equals(created.key)).toBe(true);
  });

  it('is never created over an existing key file', () => {
    const first = createMasterKeyFile(dataDir);
    expect(() => createMasterKeyFile(dataDir)).toThrow();
    expect(readMasterKey(dataDir, undefined)?.key.equals(first.key)).toBe(true);
  });

  it('is absent, not created, when there is neither a key file nor KEYWARDEN_MASTER_KEY', () => {
    expect(readMasterKey(dataDir, undefined)).toBeUndefined();
    expect(() => statSync(join(dataDir, MASTER_KEY_FILE))).toThrow();
  });

  it.each([0o644, 0o640, 0o604, 0o666])('refuses a key file with mode %o and says to chmod 600', (mode) => {
    createMasterKeyFile(dataDir);
    const path = join(dataDir, MASTER_KEY_FILE);
    chmodSync(path, mode);
    expect(() => readMasterKey(dataDir, undefined)).toThrow(ConfigError);
    expect(() => readMasterKey(dataDir, undefined)).toThrow(`chmod 600 ${path}`);
  });

  it('prefers KEYWARDEN_MASTER_KEY over the key file', () => {
    createMasterKeyFile(dataDir);
    const key = randomBytes(32);
    const source = readMasterKey(dataDir, key.toString('base64'));
    expect(source?.key.equals(key)).toBe(true);
    expect(source?.origin).toBe('KEYWARDEN_MASTER_KEY');
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['not base64', `${'!'.repeat(43)}=`],
    ['hex instead of base64', randomBytes(32).toString('hex')],
  ])('refuses a KEYWARDEN_MASTER_KEY of %s', (_what, value) => {
    expect(() => readMasterKey(dataDir, value)).toThrow(/KEYWARDEN_MASTER_KEY.*32 bytes/);
  });

  it('refuses a key file that does not hold a 32-byte key', () => {
    const path = join(dataDir, MASTER_KEY_FILE);
    writeFileSync(path, `${randomBytes(16).toString('base64')}\n`, { mode: 0o600 });
    expect(() => readMasterKey(dataDir, undefined)).toThrow(ConfigError);
  });
});
