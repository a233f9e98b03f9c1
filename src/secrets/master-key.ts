import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/load-config.js';

export const MASTER_KEY_FILE = 'master.key';

export interface MasterKeySource {
  key: Buffer;
  /** Where it came from, for messages: the env var name or the file path. */
  origin: string;
}

/** Decodes `KEYWARDEN_MASTER_KEY` or reads the key file; never creates one. */
export function readMasterKey(dataDir: string, fromEnv: string | undefined): MasterKeySource | undefined {
  if (fromEnv !== undefined)
    return { key: decode(fromEnv, 'KEYWARDEN_MASTER_KEY'), origin: 'KEYWARDEN_MASTER_KEY' };
  const path = join(dataDir, MASTER_KEY_FILE);
  if (!existsSync(path)) return undefined;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `master key file ${path} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return { key: decode(readFileSync(path, 'utf8').trim(), path), origin: path };
}

/** Creates a new random key file with mode 0600; refuses to replace an existing one. */
export function createMasterKeyFile(dataDir: string): MasterKeySource {
  const path = join(dataDir, MASTER_KEY_FILE);
  const key = randomBytes(32);
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  return { key, origin: path };
}

function decode(text: string, origin: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.replace(/\s+/g, '')) {
    throw new ConfigError(
      `${origin}: the master key must be 32 bytes, base64-encoded (e.g. openssl rand -base64 32)`,
    );
  }
  return key;
}
