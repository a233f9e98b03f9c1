import type { AlertPort } from '../admin/alerts.js';
import type { WatchConfig } from '../config/config.js';
import type { KeySighting } from '../domain/alerts.js';
import { NANO_PER_USD, type UsageEvent } from '../domain/usage.js';
import type { Logger } from '../lib/logger.js';
import { Baseline } from './baseline.js';
import { networkOf } from './networks.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** An idle gap longer than this is learnt as this many zero minutes, not one per minute. */
const MAX_IDLE_MINUTES = 180;
const METRICS = ['requests', 'tokens', 'cost', 'errors'] as const;
type Metric = (typeof METRICS)[number];
/**
 * One number per metric, in the order of METRICS. An array, not an object with four named
 * properties: the per-event loop then reads elements by index, which costs a fraction of looking
 * up a property by a name that changes on every turn.
 */
type Amounts = number[];

const zero = (): Amounts => [0, 0, 0, 0];

/** One key's or project's minute-by-minute rates against its own baselines. */
interface Subject {
  minute: number;
  current: Amounts;
  baselines: Baseline[];
  /**
   * Per metric, what this minute's value must exceed to be an anomaly: Infinity while the baseline
   * warms up, and once the metric has alerted this minute. Baselines learn only when a minute
   * closes, so this is worked out once per minute, not on every event.
   */
  bounds: Amounts;
}

export interface UsageWatcherDeps {
  config: WatchConfig;
  alerts: AlertPort;
  /** Suspends a key at once (policy `auto_suspend`). */
  suspendKey: (keyId: string, reason: string) => Promise<void>;
  /** Remembers new sightings so a restart does not forget which networks and models a key uses. */
  saveSightings: (sightings: KeySighting[]) => Promise<void>;
  logger: Logger;
}

/**
 * Watches the live usage stream: per key and per project, requests, tokens, cost and errors per
 * minute are compared with the subject's own baseline for that hour of day; rules catch fast spend,
 * new networks, new models and bursts of bad-key attempts. The current minute is checked on every
 * event, so a spike is caught while it is happening, not when the minute closes.
 */
export function createUsageWatcher(deps: UsageWatcherDeps) {
  const { config } = deps;
  // Per kind, so that a lookup needs no composed string per event.
  const subjects = { key: new Map<string, Subject>(), project: new Map<string, Subject>() };
  const spend = new Map<string, Map<number, number>>();
  const seen: Record<KeySighting['kind'], Map<string, Set<string>>> = {
    network: new Map(),
    model: new Map(),
  };
  const longestSpendRule = Math.max(0, ...config.spendRules.map((r) => r.minutes));
  const authFailures = new Map<string, number[]>();
  const floors: Amounts = [
    config.floors.requests,
    config.floors.tokens,
    config.floors.costUsd,
    config.floors.errors,
  ];

  const raise = (input: Parameters<AlertPort['raise']>[0]) =>
    deps.alerts.raise(input).catch((error) => {
      deps.logger.error({ err: error }, 'could not raise an alert');
      return undefined;
    });

  const suspend = (keyId: string, reason: string) =>
    deps
      .suspendKey(keyId, reason)
      .catch((error) => deps.logger.error({ err: error }, 'could not suspend key'));

  const expectedIn = (baseline: Baseline, minute: number) =>
    baseline.expected(hourOf(minute), config.warmupMinutes);

  /** An anomaly is a value above both the baseline's spread (`sigma`) and its multiple (`ratio`). */
  const boundsFor = (baselines: Baseline[], minute: number): Amounts =>
    baselines.map((baseline) => {
      const expected = expectedIn(baseline, minute);
      return expected
        ? Math.max(expected.mean + config.sigma * expected.sd, config.ratio * expected.mean)
        : Number.POSITIVE_INFINITY;
    });

  const subjectFor = (kind: 'key' | 'project', id: string, minute: number): Subject => {
    let subject = subjects[kind].get(id);
    if (!subject) {
      const baselines = METRICS.map(() => new Baseline());
      subject = { minute, current: zero(), baselines, bounds: boundsFor(baselines, minute) };
      subjects[kind].set(id, subject);
    }
    // Close the minutes that passed: the one with traffic, then the idle ones as zeros.
    if (minute > subject.minute) {
      const idle = Math.min(minute - subject.minute - 1, MAX_IDLE_MINUTES);
      subject.baselines.forEach((baseline, i) => {
        baseline.learn(hourOf(subject.minute), subject.current[i] as number);
        for (let m = minute - idle; m < minute; m++) baseline.learn(hourOf(m), 0);
      });
      subject.minute = minute;
      subject.current = zero();
      subject.bounds = boundsFor(subject.baselines, minute);
    }
    return subject;
  };

  const checkRates = (kind: 'key' | 'project', event: UsageEvent, amounts: Amounts, jobs: Job[]) => {
    const id = kind === 'key' ? event.keyId : event.projectId;
    const minute = Math.floor(event.ts / MINUTE);
    const subject = subjectFor(kind, id, minute);
    if (minute < subject.minute) return; // a late event from an already-closed minute
    const { current, bounds } = subject;
    for (let i = 0; i < METRICS.length; i++) {
      const value = (current[i] as number) + (amounts[i] as number);
      current[i] = value;
      if (value < (floors[i] as number) || value <= (bounds[i] as number)) continue;
      bounds[i] = Number.POSITIVE_INFINITY; // one alert per metric and minute
      const metric = METRICS[i] as Metric;
      // A finite bound means the baseline is past its warm-up.
      const expected = expectedIn(subject.baselines[i] as Baseline, minute) as { mean: number; sd: number };
      const times = expected.mean > 0 ? Math.round(value / expected.mean) : undefined;
      const suspending = kind === 'key' && config.onAnomaly === 'auto_suspend';
      const alert = {
        type: 'anomaly' as const,
        severity: 'critical' as const,
        message: `${kind} ${kind === 'key' ? event.keyId : event.projectId}: ${metric} this minute is ${format(metric, value)}${times ? `, ${times}× the usual ${format(metric, expected.mean)}` : ''}${suspending ? '; key suspended' : ''}`,
        keyId: kind === 'key' ? event.keyId : null,
        projectId: event.projectId,
        details: {
          subject: kind,
          metric,
          value,
          baseline_mean: expected.mean,
          baseline_sd: expected.sd,
          minute_start: new Date(minute * MINUTE).toISOString(),
          suspended: suspending,
        },
        dedupeKey: `anomaly:${kind}:${id}:${metric}`,
      };
      jobs.push(async () => {
        await raise(alert);
        if (suspending) await suspend(event.keyId, `anomaly in ${metric}`);
      });
    }
  };

  const checkSpend = (event: UsageEvent, usd: number, jobs: Job[]) => {
    if (config.spendRules.length === 0 || usd <= 0) return;
    const minute = Math.floor(event.ts / MINUTE);
    const perMinute = spend.get(event.keyId) ?? new Map<number, number>();
    spend.set(event.keyId, perMinute);
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + usd);
    for (const m of perMinute.keys()) if (m <= minute - longestSpendRule) perMinute.delete(m);
    for (const rule of config.spendRules) {
      let total = 0;
      for (const [m, amount] of perMinute) if (m > minute - rule.minutes) total += amount;
      if (total <= rule.usd) continue;
      const suspending = config.onAnomaly === 'auto_suspend';
      const alert = {
        type: 'spend_rule' as const,
        severity: 'critical' as const,
        message: `key ${event.keyId} spent $${total.toFixed(2)} in ${rule.minutes} min (rule: over $${rule.usd})${suspending ? '; key suspended' : ''}`,
        keyId: event.keyId,
        projectId: event.projectId,
        details: { spent_usd: total, rule_usd: rule.usd, rule_minutes: rule.minutes, suspended: suspending },
        dedupeKey: `spend:${event.keyId}:${rule.usd}/${rule.minutes}`,
      };
      jobs.push(async () => {
        const raised = await raise(alert);
        if (raised && suspending) await suspend(event.keyId, 'spend rule');
      });
    }
  };

  /** True when the key has a history of this kind and the value is new to it. */
  const sighting = (event: UsageEvent, kind: KeySighting['kind'], value: string): boolean => {
    const known = seen[kind].get(event.keyId);
    if (known?.has(value)) return false;
    const first = known === undefined;
    seen[kind].set(event.keyId, (known ?? new Set()).add(value));
    deps
      .saveSightings([{ keyId: event.keyId, kind, value, firstSeen: event.ts }])
      .catch((error) => deps.logger.warn({ err: error }, 'could not save a key sighting'));
    return !first;
  };

  const checkSightings = (event: UsageEvent, jobs: Job[]) => {
    const network = networkOf(event.clientIp);
    if (sighting(event, 'network', network) && config.newIpAlerts) {
      const alert = {
        type: 'new_ip' as const,
        severity: 'warning' as const,
        message: `key ${event.keyId} used from a new network ${network}`,
        keyId: event.keyId,
        projectId: event.projectId,
        details: { network, client_ip: event.clientIp },
        dedupeKey: `new_ip:${event.keyId}:${network}`,
      };
      jobs.push(() => raise(alert));
    }
    if (event.model !== null && sighting(event, 'model', event.model) && config.newModelAlerts) {
      const alert = {
        type: 'new_model' as const,
        severity: 'info' as const,
        message: `key ${event.keyId} used model ${event.model} for the first time`,
        keyId: event.keyId,
        projectId: event.projectId,
        details: { model: event.model },
        dedupeKey: `new_model:${event.keyId}:${event.model}`,
      };
      jobs.push(() => raise(alert));
    }
  };

  return {
    /** Seeds what keys were seen with from the store, so a restart does not alert on old networks. */
    load(sightings: readonly KeySighting[]): void {
      for (const s of sightings)
        seen[s.kind].set(s.keyId, (seen[s.kind].get(s.keyId) ?? new Set()).add(s.value));
    },

    /**
     * Looks at one metered request. The checks run at once; when they call for alerts, the returned
     * promise resolves once those are stored (in order). Most requests raise none and get undefined,
     * which spares every request the promises of an async pass.
     */
    observe(event: UsageEvent): Promise<void> | undefined {
      if (!config.enabled) return undefined;
      const usd = (event.costNanoUsd ?? 0) / NANO_PER_USD;
      const amounts: Amounts = [1, event.inputTokens + event.outputTokens, usd, event.status >= 400 ? 1 : 0];
      const jobs: Job[] = [];
      checkRates('key', event, amounts, jobs);
      checkRates('project', event, amounts, jobs);
      checkSpend(event, usd, jobs);
      checkSightings(event, jobs);
      if (event.status === 401) {
        const alert = {
          type: 'credential_failing' as const,
          severity: 'critical' as const,
          message: `provider ${event.providerName} refused keywarden's credential (HTTP 401)`,
          projectId: null,
          details: { provider: event.providerName, provider_id: event.providerId },
          dedupeKey: `credential:${event.providerId}`,
        };
        jobs.push(() => raise(alert));
      }
      return jobs.length === 0 ? undefined : runInOrder(jobs);
    },

    /** Looks at one refused proxy request: a burst of bad-key answers for one prefix is an alert. */
    async observeRefusal(code: string, keyPrefix: string | undefined, at: number): Promise<void> {
      if (!config.enabled || keyPrefix === undefined) return;
      if (!['invalid_api_key', 'key_revoked', 'key_expired', 'key_suspended'].includes(code)) return;
      const recent = (authFailures.get(keyPrefix) ?? []).filter((t) => t > at - MINUTE);
      recent.push(at);
      if (authFailures.size > 10_000) authFailures.clear();
      authFailures.set(keyPrefix, recent);
      if (recent.length < config.authFailureBurst) return;
      await raise({
        type: 'auth_failure_spike',
        severity: 'warning',
        message: `${recent.length} refused requests in a minute with keys starting ${keyPrefix} (last: ${code})`,
        details: { key_prefix: keyPrefix, count: recent.length, last_code: code },
        dedupeKey: `auth_spike:${keyPrefix}`,
      });
    },
  };
}

export type UsageWatcher = ReturnType<typeof createUsageWatcher>;

/** An alert (and what follows it) that a check decided on, run after the checks. */
type Job = () => Promise<unknown>;

async function runInOrder(jobs: readonly Job[]): Promise<void> {
  for (const job of jobs) await job();
}

const hourOf = (minute: number) => Math.floor((minute * MINUTE) / HOUR) % 24;

function format(metric: Metric, value: number): string {
  return metric === 'cost' ? `$${value.toFixed(2)}` : String(Math.round(value));
}
