import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../domain/posture.js';

/** A literal secret-looking value in YAML: `api_key: sk-...`, not a reference like `env:NAME`. */
const SECRET_SETTING =
  /^\s*-?\s*(api_key|apikey|secret|token|password|key)\s*:\s*['"]?(?!env:|file:|vault:|aws-sm:)(\S{8,})/i;
const SECRET_TEXT =
  /\b(sk-[A-Za-z0-9_-]{16,}|sk-ant-[A-Za-z0-9_-]{16,}|gsk_[A-Za-z0-9]{16,}|kwa?_[A-Za-z0-9]{38})\b/;

/**
 * The checks `doctor` makes on the machine itself: the config file and the master key file. The
 * findings name files and line numbers, never the values found.
 */
export function createHostPostureChecks(options: {
  dataDir: string;
  configFileName: string;
  masterKeyFromEnv: boolean;
  masterKeyFileName: string;
}): () => Finding[] {
  return () => {
    const findings: Finding[] = [];
    const configPath = join(options.dataDir, options.configFileName);
    if (existsSync(configPath)) {
      const lines = readFileSync(configPath, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (SECRET_SETTING.test(line) || SECRET_TEXT.test(line)) {
          findings.push({
            check: 'inline_secret_in_config',
            severity: 'high',
            target: { type: 'file', id: configPath, name: `line ${i + 1}` },
            message: `${configPath} line ${i + 1} holds a secret inline`,
            fix: 'move the secret into an environment variable and refer to it (env:NAME), or store it with keywarden providers add --api-key-env',
          });
        }
      });
    }
    if (!options.masterKeyFromEnv) {
      const keyPath = join(options.dataDir, options.masterKeyFileName);
      if (existsSync(keyPath)) {
        const mode = statSync(keyPath).mode & 0o777;
        if ((mode & 0o077) !== 0) {
          findings.push({
            check: 'master_key_permissions',
            severity: 'high',
            target: { type: 'file', id: keyPath, name: mode.toString(8) },
            message: `master key file ${keyPath} is readable by group or others (mode ${mode.toString(8)})`,
            fix: `chmod 600 ${keyPath}`,
          });
        }
      }
    }
    const dirMode = existsSync(options.dataDir) ? statSync(options.dataDir).mode & 0o777 : 0;
    if ((dirMode & 0o077) !== 0) {
      findings.push({
        check: 'data_dir_permissions',
        severity: 'medium',
        target: { type: 'file', id: options.dataDir, name: dirMode.toString(8) },
        message: `data dir ${options.dataDir} is open to group or others (mode ${dirMode.toString(8)})`,
        fix: `chmod 700 ${options.dataDir}`,
      });
    }
    return findings;
  };
}
