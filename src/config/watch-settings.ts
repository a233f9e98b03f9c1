import { ALERT_TYPES } from '../domain/alerts.js';
import { type Config, DEFAULTS, type WebhookConfig } from './config.js';
import { bool, ConfigError, positiveInt, type Raw, section, str } from './load-config.js';

/** The `metrics`, `alerts` and `watch` sections of keywarden.yaml. */
export function watchSettings(file: Raw): Pick<Config, 'metrics' | 'alerts' | 'watch'> {
  const metrics = section(file, 'metrics');
  const alerts = section(file, 'alerts');
  const watch = section(file, 'watch');
  const floors = section(watch, 'floors');
  const d = DEFAULTS.watch;
  return {
    metrics: { perKeyLabels: bool('metrics.per_key_labels', metrics.per_key_labels ?? false) },
    alerts: {
      webhooks: webhooks(alerts.webhooks),
      dedupeMinutes: positiveInt(
        'alerts.dedupe_minutes',
        alerts.dedupe_minutes ?? DEFAULTS.alerts.dedupeMinutes,
      ),
      maxAttempts: positiveInt('alerts.max_attempts', alerts.max_attempts ?? DEFAULTS.alerts.maxAttempts),
      retryBaseMs: positiveInt('alerts.retry_base_ms', alerts.retry_base_ms ?? DEFAULTS.alerts.retryBaseMs),
    },
    watch: {
      enabled: bool('watch.enabled', watch.enabled ?? d.enabled),
      onAnomaly: onAnomaly(watch.on_anomaly ?? d.onAnomaly),
      sigma: positive('watch.sigma', watch.sigma ?? d.sigma),
      ratio: positive('watch.ratio', watch.ratio ?? d.ratio),
      warmupMinutes: positiveInt('watch.warmup_minutes', watch.warmup_minutes ?? d.warmupMinutes),
      floors: {
        requests: positive('watch.floors.requests', floors.requests ?? d.floors.requests),
        tokens: positive('watch.floors.tokens', floors.tokens ?? d.floors.tokens),
        costUsd: positive('watch.floors.cost_usd', floors.cost_usd ?? d.floors.costUsd),
        errors: positive('watch.floors.errors', floors.errors ?? d.floors.errors),
      },
      spendRules: spendRules(watch.spend_rules ?? d.spendRules),
      authFailureBurst: positiveInt(
        'watch.auth_failure_burst',
        watch.auth_failure_burst ?? d.authFailureBurst,
      ),
      newIpAlerts: bool('watch.new_ip_alerts', watch.new_ip_alerts ?? d.newIpAlerts),
      newModelAlerts: bool('watch.new_model_alerts', watch.new_model_alerts ?? d.newModelAlerts),
      expiryWarningHours: positiveInt(
        'watch.expiry_warning_hours',
        watch.expiry_warning_hours ?? d.expiryWarningHours,
      ),
    },
  };
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name}: must be a positive number`);
  }
  return value;
}

function onAnomaly(value: unknown): 'alert' | 'auto_suspend' {
  if (value !== 'alert' && value !== 'auto_suspend') {
    throw new ConfigError('watch.on_anomaly: must be alert or auto_suspend');
  }
  return value;
}

function spendRules(value: unknown): Array<{ usd: number; minutes: number }> {
  if (!Array.isArray(value)) throw new ConfigError('watch.spend_rules: must be a list of {usd, minutes}');
  return value.map((rule, i) => {
    const raw = (typeof rule === 'object' && rule !== null ? rule : {}) as Raw;
    return {
      usd: positive(`watch.spend_rules[${i}].usd`, raw.usd),
      minutes: positiveInt(`watch.spend_rules[${i}].minutes`, raw.minutes),
    };
  });
}

function webhooks(value: unknown): WebhookConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError('alerts.webhooks: must be a list');
  return value.map((hook, i) => {
    const name = `alerts.webhooks[${i}]`;
    const raw = (typeof hook === 'object' && hook !== null ? hook : {}) as Raw;
    const url = str(`${name}.url`, raw.url);
    if (!/^https?:\/\//.test(url)) throw new ConfigError(`${name}.url: must be an http(s) URL`);
    const format = raw.format ?? 'json';
    if (format !== 'json' && format !== 'slack')
      throw new ConfigError(`${name}.format: must be json or slack`);
    const config: WebhookConfig = {
      name: raw.name === undefined ? `webhook-${i + 1}` : str(`${name}.name`, raw.name),
      url,
      format,
    };
    if (raw.secret !== undefined) config.secret = str(`${name}.secret`, raw.secret);
    if (raw.events !== undefined) {
      if (!Array.isArray(raw.events) || raw.events.some((e) => !ALERT_TYPES.includes(e))) {
        throw new ConfigError(`${name}.events: must list alert types (${ALERT_TYPES.join(', ')})`);
      }
      config.events = raw.events as string[];
    }
    return config;
  });
}
