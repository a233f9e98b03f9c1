/** An exponentially weighted mean and variance (West's incremental form). */
interface Ewma {
  mean: number;
  variance: number;
  samples: number;
}

const update = (s: Ewma, value: number, alpha: number) => {
  if (s.samples === 0) {
    s.mean = value;
  } else {
    const diff = value - s.mean;
    const increment = alpha * diff;
    s.mean += increment;
    s.variance = (1 - alpha) * (s.variance + diff * increment);
  }
  s.samples += 1;
};

const HOURS = 24;
/** A bucket is trusted once it has seen this many minutes; until then the all-day baseline stands in. */
const BUCKET_MIN_SAMPLES = 20;

/**
 * What one metric of one subject usually is per minute, per UTC hour of the day (so a busy
 * afternoon is compared with other afternoons), with an all-day baseline for hours not yet learnt.
 */
export class Baseline {
  private readonly byHour: Ewma[] = Array.from({ length: HOURS }, () => ({
    mean: 0,
    variance: 0,
    samples: 0,
  }));
  private readonly overall: Ewma = { mean: 0, variance: 0, samples: 0 };

  /** Learns one closed minute's value. */
  learn(hour: number, value: number): void {
    const bucket = this.byHour[hour % HOURS];
    if (bucket) update(bucket, value, 0.05);
    update(this.overall, value, 0.02);
  }

  /** The expected value and its spread for this hour, or undefined while still warming up. */
  expected(hour: number, warmupMinutes: number): { mean: number; sd: number } | undefined {
    if (this.overall.samples < warmupMinutes) return undefined;
    const bucket = this.byHour[hour % HOURS];
    const source = bucket && bucket.samples >= BUCKET_MIN_SAMPLES ? bucket : this.overall;
    // The spread never counts as less than the all-day spread: a bucket that happened to be flat
    // would otherwise flag ordinary noise.
    const variance = Math.max(source.variance, this.overall.variance);
    return { mean: source.mean, sd: Math.sqrt(variance) };
  }
}
