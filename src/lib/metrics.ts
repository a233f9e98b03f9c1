import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The gateway's Prometheus registry, one per instance (never prom-client's global one, so two
 * gateways in one process, as in tests, keep separate counts). Labels never carry secrets or key ids.
 */
export function createMetrics(sources: { usageQueueDepth: () => number }) {
  const registry = new Registry();
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
