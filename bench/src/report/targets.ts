import { wasMeasured, type BenchResults } from "../results.js";
import { bytes, count, fanoutOf, memoryOf, ms, percent, signedBytes, sizesOf, targetedGrowth, targetedOf, times, us } from "./figures.js";

/** The library's default `maxBufferedBytes`, which the bench server uses. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * How much more a publish to one user may cost among the most subscribers
 * than among the fewest (issue #15: flat), unless a lookup by hand grew as
 * much in the same run (give or take {@link BY_HAND_TOLERANCE}). Not 1: more
 * sockets cost the kernel and the caches more per write, whoever writes
 * (the hand-written Map's grew 1.3–1.9× from 1,000 to 10,000 on this 2-core
 * machine); a publish that walked every subscriber would cost about 10×, as
 * better-sse's filter does.
 */
const MAX_TARGETED_GROWTH = 1.5;
/** Run-to-run noise in one contender's growth, on a shared machine. */
const BY_HAND_TOLERANCE = 1.2;

/** One target of issue #6, as measured. */
export interface TargetCheck {
  target: string;
  measured: string;
  /** Undefined when a figure it needs was not measured. */
  met: boolean | undefined;
}

/** Checks each target of issue #6 against the figures of one run (ratios, so machine speed cancels). */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const fanoutSizes = sizesOf(results.fanout ?? []);
  for (const clients of fanoutSizes) {
    const ours = fanoutOf(results, "sse-middleware", clients)?.eventsPerSecond;
    const ratio = (other: "hand-written" | "better-sse" | "ceiling"): number | undefined => {
      const theirs = fanoutOf(results, other, clients)?.eventsPerSecond;
      return ours === undefined || theirs === undefined || theirs === 0 ? undefined : ours / theirs;
    };
    const at = `${clients.toLocaleString("en")} streams`;
    const overHand = ratio("hand-written");
    checks.push({ target: `fan-out at ${at}: ≥ 2× the hand-written loop`, measured: overHand === undefined ? "—" : times(overHand), met: overHand === undefined ? undefined : overHand >= 2 });
    const overBetter = ratio("better-sse");
    checks.push({ target: `fan-out at ${at}: ≥ 4× better-sse`, measured: overBetter === undefined ? "—" : times(overBetter), met: overBetter === undefined ? undefined : overBetter >= 4 });
    const ofCeiling = ratio("ceiling");
    checks.push({
      target: `fan-out at ${at}: within 20% of the ceiling`,
      measured: ofCeiling === undefined ? "—" : `${percent(ofCeiling)} of it`,
      met: ofCeiling === undefined ? undefined : ofCeiling >= 0.8,
    });
  }

  const steadyOf = (contender: string) => results.steady?.find((run) => run.contender === contender);
  const oursSteady = steadyOf("sse-middleware");
  const handSteady = steadyOf("hand-written");
  if (oursSteady !== undefined && handSteady !== undefined) {
    const extra = oursSteady.p99Ms - handSteady.p99Ms;
    checks.push({
      target: "steady rate: p99 within 2 ms of the hand-written loop",
      measured: `${ms(oursSteady.p99Ms)} vs ${ms(handSteady.p99Ms)} (${extra >= 0 ? "+" : "−"}${ms(Math.abs(extra))})`,
      met: extra <= 2,
    });
  }

  for (const streams of sizesOf((results.memory ?? []).filter(wasMeasured))) {
    const ours = memoryOf(results, "sse-middleware", streams);
    const hand = memoryOf(results, "hand-written", streams);
    if (ours === undefined || hand === undefined) continue;
    const extra = ours.jsPerStream - hand.jsPerStream;
    checks.push({
      target: `memory per idle stream at ${streams.toLocaleString("en")}: ≤ hand-written + 3 KiB (heap + external)`,
      measured: `${signedBytes(extra)} (RSS ${signedBytes(ours.rssPerStream - hand.rssPerStream)})`,
      met: extra <= 3 * 1024,
    });
  }

  const slow = results["slow-reader"]?.find((run) => run.contender === "sse-middleware");
  if (slow !== undefined) {
    const among = `one stalled reader among ${count(slow.readers + 1)}`;
    checks.push({
      target: `${among}: fast clients keep ≥ 90% throughput`,
      measured: percent(slow.throughputRatio),
      met: slow.throughputRatio >= 0.9,
    });
    checks.push({
      target: `${among}: server memory grows ≤ maxBufferedBytes (${bytes(MAX_BUFFERED_BYTES)})`,
      measured: `${signedBytes(slow.memoryGrowthBytes)} held after GC; queued bytes peaked ${signedBytes(slow.peakQueuedGrowthBytes)}`,
      met: slow.memoryGrowthBytes <= MAX_BUFFERED_BYTES,
    });
  }
  const targetedSizes = sizesOf(results.targeted ?? []);
  const growth = targetedGrowth(results, "sse-middleware");
  if (growth !== undefined) {
    const [fewest, most] = [targetedSizes[0]!, targetedSizes.at(-1)!];
    const cost = (clients: number): string => us(targetedOf(results, "sse-middleware", clients)!.cpuPerPublishUs);
    const byHand = targetedGrowth(results, "hand-written");
    checks.push({
      target: `targeted: a publish to one user costs as much among ${count(most)} subscribers as among ${count(fewest)} (server CPU ≤ ${times(MAX_TARGETED_GROWTH)}, or within ${percent(BY_HAND_TOLERANCE - 1)} of the hand-written Map's growth)`,
      measured: `${times(growth)} (${cost(most)} vs ${cost(fewest)}; hand-written Map: ${byHand === undefined ? "—" : times(byHand)})`,
      met: growth <= Math.max(MAX_TARGETED_GROWTH, (byHand ?? 0) * BY_HAND_TOLERANCE),
    });
  }
  return checks;
}
