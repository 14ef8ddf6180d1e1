/** What the shared timers need of a stream. */
export interface OpenStream {
  /** Writes a heartbeat comment; returns false if the stream is gone. */
  comment(): boolean;
  /** When the stream is to be closed by `maxAge`, in ms since the epoch; Infinity for never. */
  readonly expiresAt: number;
  close(): void;
}

/** Timing of one `sse()` instance's shared timers. */
export interface OpenStreamsTiming {
  /** Milliseconds between heartbeats, or false for none. */
  keepAliveMs: number | false;
  /** Longest life of a stream in milliseconds, or false for no limit. */
  maxAgeMs: number | false;
}

/**
 * The open streams of one `sse()` instance, and the timers that walk them:
 * one for heartbeats, one for `maxAge`. Shared timers cost the same at ten
 * thousand streams as at one, where a timer per connection would not.
 */
export class OpenStreams<Stream extends OpenStream> {
  readonly #streams = new Set<Stream>();
  readonly #timing: OpenStreamsTiming;
  #heartbeat: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(timing: OpenStreamsTiming) {
    this.#timing = timing;
  }

  /** How many streams are open. */
  get size(): number {
    return this.#streams.size;
  }

  add(stream: Stream): void {
    this.#streams.add(stream);
    const { keepAliveMs, maxAgeMs } = this.#timing;
    if (this.#heartbeat === undefined && keepAliveMs !== false) {
      this.#heartbeat = setInterval(beat, keepAliveMs, this.#streams);
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

  delete(stream: Stream): void {
    this.#streams.delete(stream);
    if (this.#streams.size > 0) return;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#heartbeat = undefined;
    this.#sweep = undefined;
  }

  /** A snapshot, so callers may close streams while they walk it. */
  list(): Stream[] {
    return [...this.#streams];
  }
}

function beat(streams: Set<OpenStream>): void {
  for (const stream of streams) stream.comment();
}

function closeExpired(streams: Set<OpenStream>): void {
  const now = Date.now();
  // Closing removes from the set; iterating a Set while deleting visited
  // entries is safe.
  for (const stream of streams) if (stream.expiresAt <= now) stream.close();
}
