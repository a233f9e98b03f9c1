import type { UsageEvent } from '../../src/domain/usage.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A seeded PRNG (mulberry32), so every replay of a trace is the same trace. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson-distributed count (Knuth; fine for the small rates used here). */
function poisson(rate: number, random: () => number): number {
  const limit = Math.exp(-rate);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= random();
  } while (p > limit);
  return k - 1;
}

export interface TraceShape {
  keyId: string;
  projectId: string;
  start: number;
  minutes: number;
  /** Mean requests per minute at the daily average. */
  ratePerMinute: number;
  /** Mean cost of one request in USD. */
  costUsd: number;
  /** Multiplies the cost of requests from this minute on (the spike). */
  costMultiplierFrom?: { minute: number; factor: number };
  seed: number;
}

/**
 * Steady traffic with a normal working day in it: the rate swings ±60% over 24 hours (busy
 * afternoons, quiet nights), counts are Poisson, sizes and costs vary ±30% per request, and about
 * 1% of requests fail.
 */
export function* steadyTraffic(shape: TraceShape): Generator<UsageEvent> {
  const random = seeded(shape.seed);
  let n = 0;
  for (let m = 0; m < shape.minutes; m++) {
    const minuteStart = shape.start + m * MINUTE;
    const dayPhase = ((minuteStart % DAY) / DAY) * 2 * Math.PI;
    const rate = shape.ratePerMinute * (1 + 0.6 * Math.sin(dayPhase - Math.PI / 2));
    const count = poisson(Math.max(rate, 0.1), random);
    const factor =
      shape.costMultiplierFrom && m >= shape.costMultiplierFrom.minute ? shape.costMultiplierFrom.factor : 1;
    const offsets = Array.from({ length: count }, () => Math.floor(random() * MINUTE)).sort((a, b) => a - b);
    for (const offset of offsets) {
      const jitter = 0.7 + 0.6 * random();
      const inputTokens = Math.round(800 * jitter);
      n += 1;
      yield {
        id: `req_${shape.seed}_${n}`,
        ts: minuteStart + offset,
        requestId: `rid_${n}`,
        keyId: shape.keyId,
        projectId: shape.projectId,
        providerId: 'prv_trace',
        providerName: 'openai',
        model: 'gpt-4o-mini',
        endpoint: 'chat/completions',
        status: random() < 0.01 ? 500 : 200,
        inputTokens,
        outputTokens: Math.round(inputTokens / 4),
        cachedTokens: 0,
        costNanoUsd: Math.round(shape.costUsd * jitter * factor * 1e9),
        latencyMs: 400,
        ttfbMs: 120,
        clientIp: '10.1.2.3',
        streamed: false,
      };
    }
  }
}
