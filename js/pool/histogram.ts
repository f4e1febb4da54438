/**
 * A fixed-size histogram of durations with bounded relative error, for percentiles without
 * keeping samples (the idea of HDR histograms): values are counted in microseconds, in buckets
 * exact below 64 µs and then 32 per power of two, so a reported percentile is at most 1/32
 * (about 3 %) above the true one. 864 counters cover 0 µs to about 36 minutes; longer values
 * count in the last bucket. Recording is a few integer operations, with no allocation.
 * @module
 */

/** Sub-buckets per power of two. */
const SUB = 32;
/** Values from 2^31 µs up share the last bucket. */
const MAX_US = 2 ** 31 - 1;
const BUCKETS = SUB * 27;

/** The bucket of a value in whole microseconds (0 ≤ us ≤ MAX_US). */
function bucketOf(us: number): number {
  if (us < 2 * SUB) return us;
  const shift = 31 - Math.clz32(us) - 5;
  return (shift + 1) * SUB + ((us >>> shift) - SUB);
}

/** The largest value in microseconds that falls into bucket `index`. */
function upperOf(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  return ((index % SUB) + SUB + 1) * 2 ** shift - 1;
}

/** Percentiles of a histogram, in milliseconds. */
export interface Percentiles {
  /** Half of the values are at most this (the median). */
  readonly p50: number;
  /** 90 % of the values are at most this. */
  readonly p90: number;
  /** 99 % of the values are at most this. */
  readonly p99: number;
  /** The largest value, exact. */
  readonly max: number;
}

/** Counts of durations in log-scale buckets; see the module's documentation. */
export class Histogram {
  #counts = new Float64Array(BUCKETS);
  #total = 0;
  #maxMs = 0;

  /** Counts one duration in milliseconds (negative and NaN values count as 0). */
  record(ms: number): void {
    const us = ms > 0 ? Math.min(MAX_US, Math.round(ms * 1000)) : 0;
    this.#counts[bucketOf(us)]!++;
    this.#total++;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  /** How many durations were recorded. */
  get count(): number {
    return this.#total;
  }

  /**
   * The 50th, 90th and 99th percentiles (each the upper end of its bucket, never above the
   * largest value recorded) and the largest value, in milliseconds; all 0 when empty.
   */
  percentiles(): Percentiles {
    return { p50: this.#at(0.5), p90: this.#at(0.9), p99: this.#at(0.99), max: this.#maxMs };
  }

  #at(quantile: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(quantile * this.#total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(upperOf(i) / 1000, this.#maxMs);
    }
    return this.#maxMs;
  }

  /** Forgets every recorded value. */
  clear(): void {
    this.#counts.fill(0);
    this.#total = 0;
    this.#maxMs = 0;
  }
}
