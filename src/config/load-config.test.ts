import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from './config.js';
import { CONFIG_FILE_NAME, ConfigError, loadConfig } from './load-config.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'keywarden-config-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const writeYaml = (dir: string, text: string) => writeFileSync(join(dir, CONFIG_FILE_NAME), text);

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the defaults when nothing is set', () => {
    const config = loadConfig({ dataDir }, {});
    expect(config).toMatchObject({
      dataDir: resolve(dataDir),
      host: '127.0.0.1',
      port: 8787,
      logLevel: 'info',
      databaseUrl: undefined,
      redisUrl: undefined,
      masterKey: undefined,
      proxy: DEFAULTS.proxy,
      usage: DEFAULTS.usage,
      pricing: { overrides: {}, fallback: undefined },
    });
  });

  it('takes the data dir from flags, then KEYWARDEN_DATA_DIR, then ./.keywarden', () => {
    const other = join(dataDir, 'other');
    expect(loadConfig({ dataDir }, { KEYWARDEN_DATA_DIR: other }).dataDir).toBe(resolve(dataDir));
    expect(loadConfig({}, { KEYWARDEN_DATA_DIR: other }).dataDir).toBe(resolve(other));
    expect(loadConfig({}, {}).dataDir).toBe(resolve('.keywarden'));
  });

  it('reads keywarden.yaml from the data dir over the defaults', () => {
    writeYaml(
      dataDir,
      [
        'host: 0.0.0.0',
        'port: 9000',
        'log_level: debug',
        'database_url: postgres://db/keywarden',
        'redis_url: redis://cache:6379',
        'shutdown_grace_ms: 5000',
        'proxy:',
        '  max_body_bytes: 1024',
        '  trust_proxy: true',
        'usage:',
        '  batch_size: 50',
        'pricing:',
        '  overrides:',
        '    my-model: { input_per_mtok: 1, output_per_mtok: 2, cached_input_per_mtok: 0.5 }',
        '  fallback: { input_per_mtok: 3, output_per_mtok: 4 }',
      ].join('\n'),
    );
    const config = loadConfig({ dataDir }, {});
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      logLevel: 'debug',
      databaseUrl: 'postgres://db/keywarden',
      redisUrl: 'redis://cache:6379',
      shutdownGraceMs: 5000,
      proxy: { ...DEFAULTS.proxy, maxBodyBytes: 1024, trustProxy: true },
      usage: { flushIntervalMs: DEFAULTS.usage.flushIntervalMs, batchSize: 50 },
      pricing: {
        overrides: { 'my-model': { input_per_mtok: 1, output_per_mtok: 2, cached_input_per_mtok: 0.5 } },
        fallback: { input_per_mtok: 3, output_per_mtok: 4 },
      },
    });
  });

  it('lets the environment win over the file', () => {
    writeYaml(dataDir, 'host: 0.0.0.0\nport: 9000\nlog_level: debug\ndatabase_url: postgres://file/db\n');
    const config = loadConfig(
      { dataDir },
      {
        KEYWARDEN_HOST: '10.0.0.1',
        KEYWARDEN_PORT: '9100',
        KEYWARDEN_LOG_LEVEL: 'warn',
        DATABASE_URL: 'postgres://env/db',
        KEYWARDEN_MASTER_KEY: 'a2V5',
      },
    );
    expect(config).toMatchObject({
      host: '10.0.0.1',
      port: 9100,
      logLevel: 'warn',
      databaseUrl: 'postgres://env/db',
      masterKey: 'a2V5',
    });
  });

  it('lets flags win over the environment', () => {
    writeYaml(dataDir, 'host: 0.0.0.0\nport: 9000\n');
    const config = loadConfig(
      { dataDir, host: '::1', port: '9200' },
      { KEYWARDEN_HOST: '10.0.0.1', KEYWARDEN_PORT: '9100' },
    );
    expect(config.host).toBe('::1');
    expect(config.port).toBe(9200);
    expect(loadConfig({ dataDir, port: 0 }, { KEYWARDEN_PORT: '9100' }).port).toBe(0);
  });

  it('reads the file of the data dir the flags chose, not the one in the environment', () => {
    const envDir = mkdtempSync(join(tmpdir(), 'keywarden-config-env-'));
    try {
      writeYaml(envDir, 'port: 1111\n');
      writeYaml(dataDir, 'port: 2222\n');
      expect(loadConfig({ dataDir }, { KEYWARDEN_DATA_DIR: envDir }).port).toBe(2222);
      expect(loadConfig({}, { KEYWARDEN_DATA_DIR: envDir }).port).toBe(1111);
    } finally {
      rmSync(envDir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ port: 'eighty' }, {}, '', /^port:/],
    [{ port: 70000 }, {}, '', /^port:/],
    [{}, { KEYWARDEN_PORT: '-1' }, '', /^port:/],
    [{}, { KEYWARDEN_PORT: '80.5' }, '', /^port:/],
    [{}, { KEYWARDEN_LOG_LEVEL: 'loud' }, '', /^log level:/],
    [{}, {}, 'port: [1, 2]\n', /^port:/],
    [{}, {}, 'host: 42\n', /^host:/],
    [{}, {}, 'proxy:\n  max_body_bytes: -1\n', /^proxy\.max_body_bytes:/],
    [{}, {}, 'proxy:\n  upstream_headers_timeout_ms: 1.5\n', /^proxy\.upstream_headers_timeout_ms:/],
    [{}, {}, 'proxy:\n  trust_proxy: "yes"\n', /^proxy\.trust_proxy:/],
    [{}, {}, 'proxy: 5\n', /^proxy:/],
    [{}, {}, 'usage:\n  batch_size: 0\n', /^usage\.batch_size:/],
    [{}, {}, 'shutdown_grace_ms: soon\n', /^shutdown_grace_ms:/],
    [
      {},
      {},
      'pricing:\n  overrides:\n    m1: { input_per_mtok: x, output_per_mtok: 1 }\n',
      /^pricing\.overrides\.m1\.input_per_mtok:/,
    ],
    [{}, {}, 'pricing:\n  overrides: [1]\n', /^pricing\.overrides:/],
    [{}, {}, 'pricing:\n  fallback: { input_per_mtok: 1 }\n', /^pricing\.fallback\.output_per_mtok:/],
    [{}, {}, 'log_level: chatty\n', /^log level:/],
  ])('refuses a bad setting with a ConfigError naming it (%j %j %j)', (flags, env, yaml, message) => {
    if (yaml) writeYaml(dataDir, yaml);
    const error = configError(() => loadConfig({ dataDir, ...flags }, env));
    expect(error.message).toMatch(message);
  });

  it('refuses a config file that is not YAML or not a mapping, naming the file', () => {
    const file = join(resolve(dataDir), CONFIG_FILE_NAME);
    writeYaml(dataDir, 'port: [1, 2\n');
    expect(configError(() => loadConfig({ dataDir }, {})).message).toContain(file);
    writeYaml(dataDir, '- a\n- b\n');
    expect(configError(() => loadConfig({ dataDir }, {})).message).toContain(file);
  });

  it('treats an empty config file as no file', () => {
    writeYaml(dataDir, '');
    expect(loadConfig({ dataDir }, {}).port).toBe(8787);
  });

  it('returns a deeply frozen config', () => {
    writeYaml(dataDir, 'pricing:\n  overrides:\n    m1: { input_per_mtok: 1, output_per_mtok: 2 }\n');
    const config = loadConfig({ dataDir }, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.proxy)).toBe(true);
    expect(Object.isFrozen(config.pricing.overrides)).toBe(true);
    expect(Object.isFrozen(config.pricing.overrides.m1)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.proxy as { trustProxy: boolean }).trustProxy = true;
    }).toThrow(TypeError);
  });
});
