import type { ContenderName, SkippedRun } from "../contenders.js";
import { wasMeasured, type BenchResults } from "../results.js";
import type { FanoutRun } from "../scenarios/fanout.js";
import type { MemoryRun } from "../scenarios/memory.js";
import type { TargetedRun } from "../scenarios/targeted.js";

/** The fan-out run of `contender` at `clients` streams, if it was measured. */
export function fanoutOf(results: BenchResults, contender: ContenderName, clients: number): FanoutRun | undefined {
  return (results.fanout ?? []).filter(wasMeasured).find((run) => run.contender === contender && run.clients === clients);
}

/** The memory run of `contender` at `streams` streams, if it was measured. */
export function memoryOf(results: BenchResults, contender: ContenderName, streams: number): MemoryRun | undefined {
  return (results.memory ?? []).filter(wasMeasured).find((run) => run.contender === contender && run.streams === streams);
}

/** The targeted run of `contender` at `clients` subscribers, if it was measured. */
export function targetedOf(results: BenchResults, contender: ContenderName, clients: number): TargetedRun | undefined {
  return results.targeted?.find((run) => run.contender === contender && run.clients === clients);
}

/**
 * How much more a publish to one user costs `contender` at the most
 * subscribers measured than at the fewest; undefined without two sizes.
 */
export function targetedGrowth(results: BenchResults, contender: ContenderName): number | undefined {
  const sizes = sizesOf(results.targeted ?? []);
  if (sizes.length < 2) return undefined;
  const fewest = targetedOf(results, contender, sizes[0]!)?.cpuPerPublishUs;
  const most = targetedOf(results, contender, sizes.at(-1)!)?.cpuPerPublishUs;
  return fewest === undefined || most === undefined || fewest === 0 ? undefined : most / fewest;
}

/** The stream counts a scenario ran at, in order. */
export function sizesOf(runs: readonly ({ clients: number } | { streams: number } | SkippedRun)[]): number[] {
  const sizes = runs.map((run) => ("clients" in run ? run.clients : run.streams));
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** The contenders a scenario ran, in the order they ran. */
export function contendersOf<Name extends ContenderName>(runs: readonly { contender: Name }[]): Name[] {
  return [...new Set(runs.map((run) => run.contender))];
}

/** 1234567 -> "1,234,567". */
export function count(value: number): string {
  return Math.round(value).toLocaleString("en");
}

/** Bytes as "812 B", "2.4 KiB" or "3.1 MiB". */
export function bytes(value: number): string {
  const sign = value < 0 ? "−" : "";
  const size = Math.abs(value);
  if (size < 1024) return `${sign}${Math.round(size)} B`;
  if (size < 1024 * 1024) return `${sign}${(size / 1024).toFixed(1)} KiB`;
  return `${sign}${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** Bytes with their sign always shown: "+2.1 KiB", "−812 B". */
export function signedBytes(value: number): string {
  return value < 0 ? bytes(value) : `+${bytes(value)}`;
}

/** Microseconds with one decimal. */
export function us(value: number): string {
  return `${value.toFixed(1)} µs`;
}

/** Milliseconds with two decimals. */
export function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

/** A ratio as "2.4×". */
export function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** A fraction as "93%". */
export function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}
