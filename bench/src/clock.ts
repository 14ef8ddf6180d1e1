/**
 * Wall-clock milliseconds with sub-millisecond precision, comparable across
 * the bench's processes.
 *
 * `process.hrtime` and `performance.now()` count from an origin private to
 * each process, so a timestamp taken in the server means nothing to a load
 * generator. `performance.timeOrigin` is that origin on the system clock,
 * sampled once at process start, so `timeOrigin + now()` is the system clock
 * advanced by a monotonic counter: every process of one run shares it, and it
 * keeps the microseconds that `Date.now()` rounds away.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
