import { Counter, Gauge, Registry } from 'prom-client';
import { NANO_PER_USD, type UsageEvent } from '../domain/usage.js';
import {
  type CounterSeries,
  type HistogramSeries,
  SeriesCounter,
  SeriesHistogram,
} from './series-metrics.js';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const TOKEN_BUCKETS = [10, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000];
const MAX_CACHED_SERIES = 10_000;
const COST_BUCKETS = [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5];

interface Series {
  labels: Record<string, string>;
  requests(status: string): CounterSeries;
  inputTokens: CounterSeries;
  outputTokens: CounterSeries;
  tokensPerRequest: HistogramSeries;
  cost: CounterSeries;
  costPerRequest: HistogramSeries;
  latency: HistogramSeries;
  ttft: HistogramSeries;
}

/**
 * The gateway's Prometheus registry, one per instance (never prom-client's global one, so two
 * gateways in one process, as in tests, keep separate counts). Labels never carry secrets; key ids
 * only when `perKeyLabels` is on, to keep the number of series bounded.
 */
export function createMetrics(
  sources: { usageQueueDepth: () => number },
  options: { perKeyLabels?: boolean } = {},
) {
  const registry = new Registry();
  const perKey = options.perKeyLabels === true;
  const labelNames = perKey
    ? (['project', 'provider', 'model', 'key_id'] as const)
    : (['project', 'provider', 'model'] as const);
  const counter = (name: string, help: string, labels: readonly string[] = labelNames) =>
    new Counter({ name, help, labelNames: labels, registers: [registry] });
  // Updated on every proxied request: series looked up once, then plain numbers.
  const histogram = (name: string, help: string, buckets: number[]) =>
    new SeriesHistogram(name, help, buckets, registry);
  const requests = new SeriesCounter('keywarden_requests_total', 'Proxied requests by outcome', registry);
  const tokens = new SeriesCounter('keywarden_tokens_total', 'Tokens metered', registry);
  const cost = new SeriesCounter('keywarden_cost_usd_total', 'Cost of proxied requests in USD', registry);
  const upstreamErrors = counter(
    'keywarden_upstream_errors_total',
    'Requests the upstream answered with 5xx, or that failed to reach it',
    [...labelNames, 'status'],
  );
  const latency = histogram(
    'keywarden_request_duration_seconds',
    'Time from request to last byte',
    LATENCY_BUCKETS,
  );
  const ttft = histogram(
    'keywarden_time_to_first_token_seconds',
    'Time from request to the first byte of the response body',
    LATENCY_BUCKETS,
  );
  const tokensPerRequest = histogram(
    'keywarden_request_tokens',
    'Tokens (input + output) per request',
    TOKEN_BUCKETS,
  );
  const costPerRequest = histogram('keywarden_request_cost_usd', 'Cost per request in USD', COST_BUCKETS);
  const children = new Map<string, Series>();

  return {
    registry,
    unpricedRequests: new Counter({
      name: 'keywarden_unpriced_requests_total',
      help: 'Requests whose model has no known price; their cost is recorded as null',
      labelNames: ['provider_type', 'model'] as const,
      registers: [registry],
    }),
    usageWriteFailures: new Counter({
      name: 'keywarden_usage_write_failures_total',
      help: 'Failed attempts to write a batch of usage events (retried; see the queue depth)',
      registers: [registry],
    }),
    usageQueueDepth: new Gauge({
      name: 'keywarden_usage_write_queue_depth',
      help: 'Usage events waiting to be written to the store',
      registers: [registry],
      collect() {
        this.set(sources.usageQueueDepth());
      },
    }),
    refusals: counter('keywarden_refusals_total', 'Requests refused by the gateway, by reason', ['reason']),
    alertsRaised: counter('keywarden_alerts_total', 'Alerts raised, by type', ['type']),

    /** Records one metered request. `project` is the project's name (or id when unknown). */
    observeUsage(event: UsageEvent, project: string): void {
      const series = seriesOf(project, event);
      series.requests(statusClass(event.status)).inc();
      series.inputTokens.inc(event.inputTokens);
      series.outputTokens.inc(event.outputTokens);
      series.tokensPerRequest.observe(event.inputTokens + event.outputTokens);
      if (event.costNanoUsd !== null) {
        series.cost.inc(event.costNanoUsd / NANO_PER_USD);
        series.costPerRequest.observe(event.costNanoUsd / NANO_PER_USD);
      }
      series.latency.observe(event.latencyMs / 1000);
      if (event.ttfbMs !== null) series.ttft.observe(event.ttfbMs / 1000);
      if (event.status >= 500) upstreamErrors.inc({ ...series.labels, status: String(event.status) });
    },
  };

  /**
   * The series of one (project, provider, model[, key]), looked up once per combination.
   */
  function seriesOf(project: string, event: UsageEvent): Series {
    const model = event.model ?? '';
    const id = `${project}\u0000${event.providerName}\u0000${model}\u0000${perKey ? event.keyId : ''}`;
    let series = children.get(id);
    if (!series) {
      const labels: Record<string, string> = { project, provider: event.providerName, model };
      if (perKey) labels.key_id = event.keyId;
      const byStatus = new Map<string, CounterSeries>();
      series = {
        labels,
        requests: (status: string) => {
          let child = byStatus.get(status);
          if (!child) {
            child = requests.series({ ...labels, status });
            byStatus.set(status, child);
          }
          return child;
        },
        inputTokens: tokens.series({ ...labels, direction: 'input' }),
        outputTokens: tokens.series({ ...labels, direction: 'output' }),
        tokensPerRequest: tokensPerRequest.series(labels),
        cost: cost.series(labels),
        costPerRequest: costPerRequest.series(labels),
        latency: latency.series(labels),
        ttft: ttft.series(labels),
      };
      // Only the lookup cache is bounded here; the series themselves stay in their metrics.
      if (children.size >= MAX_CACHED_SERIES) children.clear();
      children.set(id, series);
    }
    return series;
  }
}

export type Metrics = ReturnType<typeof createMetrics>;

function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
