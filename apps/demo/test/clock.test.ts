import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startTickClock, type Tick } from "../src/clock.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("startTickClock", () => {
  it("produces ticks 1..total an interval apart, each with its production time, then ends", () => {
    const clock = startTickClock({ ticks: 3, intervalMs: 100 });
    expect(clock.ticksAfter(0)).toEqual([]);
    vi.advanceTimersByTime(99);
    expect(clock.ticksAfter(0)).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(clock.ticksAfter(0)).toEqual([{ id: 1, producedAt: 1_000_100 }]);
    expect(clock.ended).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(clock.ticksAfter(0)).toEqual([
      { id: 1, producedAt: 1_000_100 },
      { id: 2, producedAt: 1_000_200 },
      { id: 3, producedAt: 1_000_300 },
    ]);
    expect(clock.ticksAfter(2)).toEqual([{ id: 3, producedAt: 1_000_300 }]);
    expect(clock.ticksAfter(3)).toEqual([]);
    expect(clock.ended).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("tells every subscriber each new tick, then that it ended", () => {
    const clock = startTickClock({ ticks: 2, intervalMs: 10 });
    const seen: Array<Tick | "end"> = [];
    clock.subscribe({ onTick: (tick) => seen.push(tick), onEnd: () => seen.push("end") });
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([{ id: 1, producedAt: 1_000_010 }, { id: 2, producedAt: 1_000_020 }, "end"]);
  });

  it("stops telling a subscriber that unsubscribed", () => {
    const clock = startTickClock({ ticks: 3, intervalMs: 10 });
    const seen: number[] = [];
    const unsubscribe = clock.subscribe({ onTick: (tick) => seen.push(tick.id), onEnd: () => seen.push(-1) });
    vi.advanceTimersByTime(10);
    unsubscribe();
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([1]);
  });

  it("ends a subscription at once when the clock has already ended", () => {
    const clock = startTickClock({ ticks: 1, intervalMs: 10 });
    vi.advanceTimersByTime(10);
    const onEnd = vi.fn();
    clock.subscribe({ onTick: () => {}, onEnd });
    expect(onEnd).toHaveBeenCalledOnce();
  });

  it("gives the next tick after k at once when it exists, else when it is produced", async () => {
    const clock = startTickClock({ ticks: 3, intervalMs: 10 });
    vi.advanceTimersByTime(10);
    await expect(clock.nextTickAfter(0)).resolves.toEqual({ id: 1, producedAt: 1_000_010 });
    const waiting = clock.nextTickAfter(1);
    vi.advanceTimersByTime(10);
    await expect(waiting).resolves.toEqual({ id: 2, producedAt: 1_000_020 });
  });

  it("gives no next tick past the last one, after stop, or once the caller aborts", async () => {
    const clock = startTickClock({ ticks: 2, intervalMs: 10 });
    const aborted = new AbortController();
    const abandoned = clock.nextTickAfter(0, aborted.signal);
    aborted.abort();
    await expect(abandoned).resolves.toBeUndefined();

    const waiting = clock.nextTickAfter(0);
    clock.stop();
    await expect(waiting).resolves.toBeUndefined();
    await expect(clock.nextTickAfter(5)).resolves.toBeUndefined();
    expect(clock.ended).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ends at once with no ticks to produce", () => {
    const clock = startTickClock({ ticks: 0, intervalMs: 10 });
    expect(clock.ended).toBe(true);
    expect(clock.total).toBe(0);
  });
});
