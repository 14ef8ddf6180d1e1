/** Resolution of latency buckets, in milliseconds. */
const BUCKET_MS = 0.01;
/** Latencies beyond this many milliseconds share the last bucket (the max stays exact). */
const RANGE_MS = 1000;
const BUCKETS = Math.round(RANGE_MS / BUCKET_MS) + 1;

/** Latency samples as counts per 10 µs bucket, plus the exact maximum; mergeable across processes. */
export interface HistogramData {
  /** [bucket index, count] for each non-empty bucket. */
  buckets: [number, number][];
  count: number;
  maxMs: number;
}

/** Records latencies cheaply (no array of samples) at 10 µs resolution. */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #maxMs = Number.NEGATIVE_INFINITY;

  record(ms: number): void {
    // Clocks of two processes may disagree by a few microseconds: clamp at 0.
    const index = Math.min(BUCKETS - 1, Math.max(0, Math.floor(ms / BUCKET_MS)));
    this.#counts[index]! += 1;
    this.#count += 1;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  toData(): HistogramData {
    const buckets: [number, number][] = [];
    this.#counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return { buckets, count: this.#count, maxMs: this.#count === 0 ? 0 : this.#maxMs };
  }
}

/** Percentiles of merged histograms, in ms (each the upper edge of its bucket, capped at the max). */
export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Merges histograms from several load generators and reads p50, p99 and max. */
export function summarizeLatency(parts: HistogramData[]): LatencySummary {
  const counts = new Map<number, number>();
  let samples = 0;
  let maxMs = 0;
  for (const part of parts) {
    for (const [index, count] of part.buckets) counts.set(index, (counts.get(index) ?? 0) + count);
    samples += part.count;
    if (part.count > 0) maxMs = Math.max(maxMs, part.maxMs);
  }
  const sorted = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const at = (fraction: number): number => {
    if (samples === 0) return 0;
    const rank = Math.ceil(fraction * samples);
    let seen = 0;
    for (const [index, count] of sorted) {
      seen += count;
      if (seen >= rank) return Math.min(maxMs, (index + 1) * BUCKET_MS);
    }
    return maxMs;
  };
  return { samples, p50Ms: at(0.5), p99Ms: at(0.99), maxMs };
}
