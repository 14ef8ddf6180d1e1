/** What the shared heartbeat needs of a stream. */
export interface Heartbeating {
  /** Writes a heartbeat comment; returns false if the stream is gone. */
  comment(): boolean;
}

/**
 * The open streams of one `sse()` instance, and the one heartbeat timer that
 * walks them. One timer for all streams costs the same at ten thousand
 * streams as at one, where a `setInterval` per connection would not.
 */
export class OpenStreams<Stream extends Heartbeating> {
  readonly #streams = new Set<Stream>();
  readonly #keepAliveMs: number | false;
  #timer: NodeJS.Timeout | undefined;

  constructor(keepAliveMs: number | false) {
    this.#keepAliveMs = keepAliveMs;
  }

  /** How many streams are open. */
  get size(): number {
    return this.#streams.size;
  }

  add(stream: Stream): void {
    this.#streams.add(stream);
    if (this.#timer === undefined && this.#keepAliveMs !== false) {
      this.#timer = setInterval(beat, this.#keepAliveMs, this.#streams);
      // Open streams keep the server alive; the heartbeat alone must not.
      this.#timer.unref();
    }
  }

  delete(stream: Stream): void {
    this.#streams.delete(stream);
    if (this.#streams.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** A snapshot, so callers may close streams while they walk it. */
  list(): Stream[] {
    return [...this.#streams];
  }
}

function beat(streams: Set<Heartbeating>): void {
  for (const stream of streams) stream.comment();
}
