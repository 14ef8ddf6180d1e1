/** One tick of a {@link TickClock}: its number, from 1, and when the server produced it. */
export interface Tick {
  readonly id: number;
  /** `Date.now()` when the tick was produced, so a client can tell how late it shows it. */
  readonly producedAt: number;
}

/** What {@link TickClock.subscribe} calls. */
export interface TickSubscriber {
  /** Each tick produced after subscribing. */
  onTick(tick: Tick): void;
  /** Once, when no more ticks will come: all were produced, or the clock was stopped. */
  onEnd(): void;
}

/** Options of {@link startTickClock}. */
export interface TickClockOptions {
  /** How many ticks to produce. */
  ticks: number;
  /** Milliseconds between ticks; the first comes one interval after the start. */
  intervalMs: number;
}

/**
 * Ticks 1..`total`, produced `intervalMs` apart and kept, so every reader —
 * polling, long polling, a stream — sees the same ticks with the same
 * production times, whenever and however it asks.
 */
export interface TickClock {
  /** How many ticks the clock produces in all. */
  readonly total: number;
  /** Whether no more ticks will come. */
  readonly ended: boolean;
  /** The ticks produced so far with an id above `after`, oldest first. */
  ticksAfter(after: number): Tick[];
  /**
   * The first tick with an id above `after`: at once if it exists, else when
   * it is produced. `undefined` when it never will be, or `signal` aborts.
   */
  nextTickAfter(after: number, signal?: AbortSignal): Promise<Tick | undefined>;
  /** Calls `subscriber` for every tick from now on; returns the unsubscribe function. */
  subscribe(subscriber: TickSubscriber): () => void;
  /** Stops producing ticks and ends every subscription. Idempotent. */
  stop(): void;
}

/** Starts a clock; its first tick comes one interval from now. */
export function startTickClock({ ticks, intervalMs }: TickClockOptions): TickClock {
  const produced: Tick[] = [];
  const subscribers = new Set<TickSubscriber>();
  let ended = false;

  const stop = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    for (const subscriber of [...subscribers]) subscriber.onEnd();
    subscribers.clear();
  };

  const timer = setInterval(() => {
    const tick: Tick = { id: produced.length + 1, producedAt: Date.now() };
    produced.push(tick);
    for (const subscriber of [...subscribers]) subscriber.onTick(tick);
    if (produced.length >= ticks) stop();
  }, intervalMs);
  // A clock nobody reads any more must not keep the process alive.
  timer.unref();
  if (ticks <= 0) stop();

  const subscribe = (subscriber: TickSubscriber): (() => void) => {
    if (ended) {
      subscriber.onEnd();
      return () => {};
    }
    subscribers.add(subscriber);
    return () => subscribers.delete(subscriber);
  };

  return {
    total: Math.max(0, ticks),
    get ended() {
      return ended;
    },
    ticksAfter: (after) => produced.slice(Math.max(0, after)),
    nextTickAfter(after, signal) {
      const existing = produced[Math.max(0, after)];
      if (existing !== undefined) return Promise.resolve(existing);
      if (ended || signal?.aborted) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const finish = (tick: Tick | undefined): void => {
          unsubscribe();
          signal?.removeEventListener("abort", onAbort);
          resolve(tick);
        };
        const onAbort = (): void => finish(undefined);
        const unsubscribe = subscribe({
          onTick: (tick) => {
            if (tick.id > after) finish(tick);
          },
          onEnd: () => finish(undefined),
        });
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    subscribe,
    stop,
  };
}
