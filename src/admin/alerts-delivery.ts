import { createHmac } from 'node:crypto';
import type { AlertRecord, AlertType } from '../domain/alerts.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/store.js';
import { alertView } from './alerts.js';

export interface WebhookTarget {
  /** Shown in the delivery log instead of the URL, which may carry a token. */
  name: string;
  url: string;
  /** HMAC-SHA256 key for the signature header; none means unsigned. */
  secret?: string;
  format: 'json' | 'slack';
  /** Only these alert types; absent means all. */
  events?: readonly AlertType[];
}

export interface AlertDeliveryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  targets: readonly WebhookTarget[];
  maxAttempts: number;
  /** The wait before attempt n+1 is `baseDelayMs * 2^(n-1)`. */
  baseDelayMs: number;
  /** Waits between attempts; tests pass one that returns at once. */
  delay?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

export const SIGNATURE_HEADER = 'x-keywarden-signature';
export const TIMESTAMP_HEADER = 'x-keywarden-timestamp';

/**
 * `sha256=` + hex HMAC-SHA256 over `${timestamp}.${body}`: a receiver recomputes it with the shared
 * secret, compares in constant time, and rejects old timestamps to stop replays.
 */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Delivers alerts to webhooks off the caller's path, retrying with backoff and logging every attempt. */
export function createAlertDelivery(deps: AlertDeliveryDeps) {
  const delay =
    deps.delay ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const pending = new Set<Promise<void>>();

  const attempt = async (target: WebhookTarget, alert: AlertRecord, body: string, n: number) => {
    const timestamp = String(Math.floor(deps.clock.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'keywarden-alerts',
      'x-keywarden-event': alert.type,
      'x-keywarden-delivery': alert.id,
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (target.secret) headers[SIGNATURE_HEADER] = signPayload(target.secret, timestamp, body);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      });
      statusCode = response.status;
      await response.body?.cancel();
      if (!response.ok) error = `HTTP ${response.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    await deps.store
      .insertAlertDelivery({
        id: newId('dlv'),
        alertId: alert.id,
        target: target.name,
        attempt: n,
        ts: deps.clock.now(),
        outcome: error === null ? 'delivered' : 'failed',
        statusCode,
        error,
      })
      .catch((e) => deps.logger.warn({ err: e }, 'could not log an alert delivery'));
    // A 4xx other than 408/429 will not get better by retrying.
    const retryable =
      error !== null &&
      (statusCode === null || statusCode >= 500 || statusCode === 408 || statusCode === 429);
    return { delivered: error === null, retryable };
  };

  const deliverTo = async (target: WebhookTarget, alert: AlertRecord) => {
    const body = JSON.stringify(
      target.format === 'slack' ? slackMessage(alert) : { alert: alertView(alert) },
    );
    for (let n = 1; n <= deps.maxAttempts; n++) {
      const result = await attempt(target, alert, body, n);
      if (result.delivered || !result.retryable) {
        if (!result.delivered)
          deps.logger.warn({ target: target.name, alert: alert.id }, 'alert webhook refused');
        return;
      }
      if (n < deps.maxAttempts) await delay(deps.baseDelayMs * 2 ** (n - 1));
    }
    deps.logger.warn({ target: target.name, alert: alert.id }, 'alert webhook failed after every retry');
  };

  return {
    deliver(alert: AlertRecord): void {
      for (const target of deps.targets) {
        if (target.events && !target.events.includes(alert.type)) continue;
        const job = deliverTo(target, alert).catch((e) =>
          deps.logger.error({ err: e }, 'alert delivery crashed'),
        );
        pending.add(job);
        void job.finally(() => pending.delete(job));
      }
    },
    /** Resolves when every delivery started so far has finished (delivered or given up). */
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}

export type AlertDelivery = ReturnType<typeof createAlertDelivery>;

const SEVERITY_ICON = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };

/** Slack incoming-webhook format: a text fallback and one section block. */
export function slackMessage(alert: AlertRecord) {
  const text = `${SEVERITY_ICON[alert.severity]} keywarden ${alert.severity}: ${alert.message}`;
  const facts = [
    `*type* ${alert.type}`,
    alert.keyId ? `*key* ${alert.keyId}` : undefined,
    alert.projectId ? `*project* ${alert.projectId}` : undefined,
    `*at* ${new Date(alert.ts).toISOString()}`,
  ].filter(Boolean);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: facts.join('  ·  ') }] },
    ],
  };
}
