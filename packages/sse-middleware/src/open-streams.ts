import type { CloseReason, SseStats } from "./types.js";

/** What the shared timers need of a stream. */
export interface OpenStream {
  /** Writes a heartbeat comment; returns false if the stream is gone. */
  comment(): boolean;
  /** When the stream is to be closed by `maxAge`, in ms since the epoch; Infinity for never. */
  readonly expiresAt: number;
  /** Ends the stream for having reached `maxAge`. */
  expire(): void;
}

/** Timing of one `sse()` instance's shared timers. */
export interface OpenStreamsTiming {
  /** Milliseconds between heartbeats, or false for none. */
  keepAliveMs: number | false;
  /** Longest life of a stream in milliseconds, or false for no limit. */
  maxAgeMs: number | false;
}

/**
 * The running totals of one `sse()` instance. Streams add to them as they
 * write: one addition per write, whatever the write carries.
 */
export class StreamCounters {
  opened = 0;
  refused = 0;
  eventsSent = 0;
  bytesSent = 0;
  heartbeats = 0;
  readonly closed: Record<CloseReason, number> = { client: 0, server: 0, slowClient: 0, maxAge: 0, shutdown: 0 };
}

/**
 * The open streams of one `sse()` instance, and the timers that walk them:
 * one for heartbeats, one for `maxAge`. Shared timers cost the same at ten
 * thousand streams as at one, where a timer per connection would not.
 */
export class OpenStreams<Stream extends OpenStream> {
  readonly #streams = new Set<Stream>();
  readonly #timing: OpenStreamsTiming;
  /** What the streams count; `stats()` copies it. */
  readonly counters = new StreamCounters();
  #heartbeat: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(timing: OpenStreamsTiming) {
    this.#timing = timing;
  }

  /** How many streams are open. */
  get size(): number {
    return this.#streams.size;
  }

  /** Counts a stream as opened and starts the timers it needs. */
  add(stream: Stream): void {
    this.#streams.add(stream);
    this.counters.opened += 1;
    const { keepAliveMs, maxAgeMs } = this.#timing;
    if (this.#heartbeat === undefined && keepAliveMs !== false) {
      this.#heartbeat = setInterval(beat, keepAliveMs, this);
      // Open streams keep the server alive; the timers alone must not.
      this.#heartbeat.unref();
    }
    if (this.#sweep === undefined && maxAgeMs !== false) {
      // A tenth of maxAge, so a stream outlives it by at most that much.
      const period = Math.min(1000, Math.max(10, Math.floor(maxAgeMs / 10)));
      this.#sweep = setInterval(closeExpired, period, this.#streams);
      this.#sweep.unref();
    }
  }

  /**
   * Counts a stream as closed for `reason`, if it was open here.
   * @returns whether it was (a `HEAD` response never is).
   */
  delete(stream: Stream, reason: CloseReason): boolean {
    if (!this.#streams.delete(stream)) return false;
    this.counters.closed[reason] += 1;
    if (this.#streams.size > 0) return true;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#heartbeat = undefined;
    this.#sweep = undefined;
    return true;
  }

  /** A snapshot, so callers may close streams while they walk it. */
  list(): Stream[] {
    return [...this.#streams];
  }

  /** The counters as a new plain object. */
  stats(): SseStats {
    const { opened, refused, eventsSent, bytesSent, heartbeats, closed } = this.counters;
    return { open: this.#streams.size, opened, closed: { ...closed }, refused, eventsSent, bytesSent, heartbeats };
  }

  /** Sends a heartbeat to every open stream. @internal */
  beat(): void {
    let sent = 0;
    for (const stream of this.#streams) if (stream.comment()) sent += 1;
    this.counters.heartbeats += sent;
  }
}

function beat(streams: OpenStreams<OpenStream>): void {
  streams.beat();
}

function closeExpired(streams: Set<OpenStream>): void {
  const now = Date.now();
  // Closing removes from the set; iterating a Set while deleting visited
  // entries is safe.
  for (const stream of streams) if (stream.expiresAt <= now) stream.expire();
}
