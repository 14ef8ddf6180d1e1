import { setMaxListeners } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { chunkSize, forgetJoin, joinChunks, type Chunk } from "./chunks.js";
import {
  streamCloseChannel,
  streamOpenChannel,
  streamRefusedChannel,
  type StreamCloseMessage,
  type StreamOpenMessage,
  type StreamRefusedMessage,
} from "./diagnostics.js";
import {
  assertEventFields,
  assertEventName,
  describeValue,
  eventIdProblem,
  eventsIn,
  formatComment,
  formatRetry,
  formatValidatedEvent,
  MAX_ID_BYTES,
  NO_FIELDS,
  isPreparedEvent,
  ownEventFields,
  type EventFields,
  type PreparedEvent,
  serializeData,
} from "./format.js";
import type { OpenStreams } from "./open-streams.js";
import { readOptions } from "./options.js";
import { atTickEnd, defer, inCallout, onTickEnd, runDeferred } from "./tick.js";
import type { CloseReason, PipeOptions, SendOptions, SseController } from "./types.js";

/** What a stream needs from the `sse()` instance that made it. */
export interface StreamConfig {
  readonly retry: number | undefined;
  readonly maxBufferedBytes: number;
  readonly maxConnections: number;
  readonly maxAgeMs: number | false;
  readonly openStreams: OpenStreams<SseStream>;
  /** Set once the instance's `close()` has run: a stream that opens later is ended at once. */
  shutdown: { readonly retryWindow: number } | undefined;
}

// Spreads the end of streams opened together (say, after a deploy) over a
// tenth of maxAge, so they don't all reconnect in the same instant.
const MAX_AGE_JITTER = 0.1;
// Retry-After for a stream refused over maxConnections, unless `retry` is set.
const DEFAULT_RETRY_AFTER_MS = 5000;

const IDLE = 0;
const OPEN = 1;
const CLOSED = 2;
type State = typeof IDLE | typeof OPEN | typeof CLOSED;

const utf8 = new TextDecoder("utf-8", { fatal: true });

// The stream behind a response, found from the response in the shared
// `close` listener, so a connection costs no closure of its own.
const streamOf = Symbol("sse-middleware.stream");
type ResponseWithStream = ServerResponse & { [streamOf]?: SseStream };

/**
 * The write side of a response, as the stream reads it. A node:http response
 * has all of it; node:http2's compatibility response lacks `closed`,
 * `destroyed` and `writableNeedDrain`, which its `stream` (the Http2Stream)
 * has.
 */
interface Wire {
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  readonly closed: boolean;
}

/** The Http2Stream under a node:http2 compatibility response. */
interface Http2Wire extends Wire {
  close(code: number): void;
  readonly session: { destroy(): void } | undefined;
}

function wireOf(req: IncomingMessage, res: ServerResponse): Wire {
  return req.httpVersionMajor >= 2 ? (res as unknown as { stream: Http2Wire }).stream : res;
}

// RST_STREAM's CANCEL (RFC 9113, section 7). Written out, not imported, so
// that loading the library does not load node:http2.
const NGHTTP2_CANCEL = 8;

// Streams with chunks enqueued this tick. Flushing them all at the end of
// the tick turns a burst of events into one write per connection.
let dirty: SseStream[] = [];

onTickEnd(() => {
  const streams = dirty;
  dirty = [];
  for (const stream of streams) stream.flush();
  forgetJoin();
});

function onResponseClose(this: ResponseWithStream): void {
  this[streamOf]?.handleGone();
}

function onResponseDrain(this: ResponseWithStream): void {
  this[streamOf]?.handleDrain();
}

/**
 * Decodes `Last-Event-ID`. Node hands header bytes over as latin1; the
 * browser sent UTF-8. Anything too long, not UTF-8, or not an id this
 * library would have sent counts as absent, so a hostile value is never
 * echoed.
 */
export function decodeLastEventId(raw: string | string[] | undefined): string | undefined {
  if (typeof raw !== "string" || raw.length > MAX_ID_BYTES) return undefined;
  let id: string;
  try {
    id = utf8.decode(Buffer.from(raw, "latin1"));
  } catch {
    return undefined;
  }
  return eventIdProblem(id) === undefined ? id : undefined;
}

const PIPE_OPTIONS = ["event"];
const SEND_OPTION_NAMES = new Set(["event", "id", "retry"]);

/** The fields of send()'s options, checked: its own keys only (see ownEventFields). */
function sendFields(options: unknown): EventFields {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`SSE send options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!SEND_OPTION_NAMES.has(key)) {
      throw new TypeError(`SSE send option ${JSON.stringify(key)} is unknown; expected event, id or retry`);
    }
  }
  const fields = ownEventFields(options as SendOptions);
  assertEventFields(fields);
  return fields;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (Symbol.asyncIterator in value || Symbol.iterator in value)
  );
}

/**
 * One Server-Sent Events response. Nothing is written until it is first
 * used; then headers go out at once, events are coalesced per tick, and
 * unsent bytes are bounded.
 */
export class SseStream implements SseController {
  readonly #req: IncomingMessage;
  readonly #res: ResponseWithStream;
  readonly #wire: Wire;
  readonly #config: StreamConfig;
  #state: State = IDLE;
  #pending: Chunk[] = [];
  #pendingBytes = 0;
  // Events among #pending, for the counters: comments and retry blocks are none.
  #pendingEvents = 0;
  // Whether this stream is in `dirty`, to be flushed at the end of the tick.
  #scheduled = false;
  // A write larger than maxBufferedBytes is on its way to the client, and
  // what is enqueued after it waits in #pending until the response drains.
  #behindLargeWrite = false;
  // Unsent bytes as of this stream's last write. Until it writes again they
  // can only shrink, as the socket drains.
  #unsentAfterWrite = 0;
  #abort: AbortController | undefined;
  // close() was called from a callout (a filter): it happens once the
  // delivery under way is done, and the stream counts as closed meanwhile.
  #closing = false;
  /** When `maxAge` ends this stream; Infinity without one. @internal */
  expiresAt = Infinity;

  constructor(req: IncomingMessage, res: ServerResponse, config: StreamConfig) {
    this.#req = req;
    this.#res = res;
    this.#wire = wireOf(req, res);
    this.#config = config;
  }

  /** Whether the stream has been opened (or closed): the response is ours. */
  get started(): boolean {
    return this.#state !== IDLE;
  }

  get closed(): boolean {
    return this.#state === CLOSED || this.#closing;
  }

  get lastEventId(): string | undefined {
    return decodeLastEventId(this.#req.headers["last-event-id"]);
  }

  get signal(): AbortSignal {
    // Made on first read, and only then is the response watched: a handler
    // that never reads it (nor writes) costs no listener.
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      // Every channel a stream joins listens here: a stream on eleven
      // channels is no leak, and must not be warned about as one.
      setMaxListeners(0, this.#abort.signal);
      if (this.#state === CLOSED) this.#abort.abort();
      else this.#watchResponse();
    }
    return this.#abort.signal;
  }

  get bufferedBytes(): number {
    return this.#pendingBytes + this.#res.writableLength;
  }

  open(): void {
    if (this.#state !== IDLE) return;
    const res = this.#res;
    if (res.writableEnded || this.#responseClosed()) {
      this.#markClosed("client");
      return;
    }
    const isHead = this.#req.method === "HEAD";
    const { openStreams, maxConnections, maxAgeMs } = this.#config;
    // A HEAD request holds no stream, so it never counts against the limit.
    if (!isHead && openStreams.size >= maxConnections) {
      this.#refuseOverCapacity();
      return;
    }
    this.#state = OPEN;
    this.#watchResponse();
    if (!res.headersSent) {
      res.statusCode = 200;
      // Exactly this type: a charset parameter is allowed but some proxies
      // and old clients match the bare string.
      res.setHeader("Content-Type", "text/event-stream");
      res.setHeader("Cache-Control", "no-cache, no-transform");
      // Tells nginx not to buffer the stream.
      res.setHeader("X-Accel-Buffering", "no");
      // Said out loud for proxies on HTTP/1.x, unless the client asked to
      // close: a Connection header we set would stop Node from closing the
      // socket after the response. HTTP/2 forbids connection headers.
      if (this.#req.httpVersionMajor < 2 && res.shouldKeepAlive) res.setHeader("Connection", "keep-alive");
    }
    if (isHead) {
      res.end();
      this.#markClosed("server");
      return;
    }
    if (maxAgeMs !== false) this.expiresAt = Date.now() + maxAgeMs * (1 + Math.random() * MAX_AGE_JITTER);
    openStreams.add(this);
    if (this.#config.retry !== undefined) {
      const retry = formatRetry(this.#config.retry);
      res.write(retry);
      openStreams.counters.bytesSent += retry.length;
      this.#flushCompression();
    } else {
      res.flushHeaders();
    }
    if (streamOpenChannel.hasSubscribers) {
      streamOpenChannel.publish({ stream: this, request: this.#req, response: res } satisfies StreamOpenMessage);
    }
    // A client that comes back to an instance shutting down (a keep-alive
    // connection the server still serves) must not hold up the shutdown.
    const { shutdown } = this.#config;
    if (shutdown !== undefined) this.endForShutdown(shutdown.retryWindow);
  }

  send(data: unknown, options?: SendOptions): boolean {
    if (this.#state === CLOSED) return false;
    const fields = options === undefined ? NO_FIELDS : sendFields(options);
    return this.#enqueue(formatValidatedEvent(serializeData(data), fields), 1);
  }

  sendPrepared(event: PreparedEvent): boolean {
    if (!isPreparedEvent(event)) {
      throw new TypeError(`sendPrepared() takes an event made by prepareEvent(), got ${describeValue(event)}`);
    }
    if (this.#state === CLOSED) return false;
    return this.#enqueue(event, eventsIn(event));
  }

  comment(text?: string): boolean {
    if (this.#state === CLOSED) return false;
    return this.#enqueue(formatComment(text), 0);
  }

  async drain(): Promise<void> {
    if (this.#state !== OPEN) return;
    // Hand this tick's chunks to the socket now, so what is measured is what
    // the client has yet to take.
    runDeferred();
    this.#write();
    const res = this.#res;
    while (this.#state === OPEN && this.#wire.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }

  async pipe(source: AsyncIterable<unknown> | Iterable<unknown>, options: PipeOptions = {}): Promise<void> {
    if (!isAsyncIterable(source)) {
      throw new TypeError(`pipe() takes an iterable or async iterable, got ${describeValue(source)}`);
    }
    const { event } = readOptions<PipeOptions>(options, "pipe()", PIPE_OPTIONS);
    if (event !== undefined) assertEventName(event);
    const fields = event === undefined ? undefined : { event };
    const iterator =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    const gone = new Promise<"gone">((resolve) => {
      if (this.closed) resolve("gone");
      else this.signal.addEventListener("abort", () => resolve("gone"), { once: true });
    });
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), gone]);
        if (next === "gone" || next.done === true) break;
        if (!this.send(next.value, fields)) break;
        if (this.bufferedBytes > this.#res.writableHighWaterMark) await this.drain();
      }
    } finally {
      // Let the source release what it holds (a cursor, a subscription);
      // a generator still busy producing sees the return when it yields.
      void Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }

  close(): void {
    this.#end("server");
  }

  /** Ends the stream for having reached `maxAge`. @internal */
  expire(): void {
    this.#end("maxAge");
  }

  #end(reason: CloseReason): void {
    if (this.#state === CLOSED || this.#closing) return;
    if (inCallout()) {
      // From a filter: after the events it is delivering, which were published first.
      this.#closing = true;
      defer({
        run: () => {
          this.#closing = false;
          this.#end(reason);
        },
      });
      return;
    }
    if (this.#state === IDLE) this.open();
    // open() ends a HEAD response at once.
    if (this.closed) return;
    // Events published before the close are the stream's last words.
    runDeferred();
    // A pass may have found the client too slow and cut it.
    if (this.closed) return;
    const events = this.#pendingEvents;
    const last = this.#takePending();
    this.#markClosed(reason);
    if (last === undefined) {
      this.#res.end();
    } else {
      this.#res.end(last);
      this.#countSent(last, events);
    }
  }

  /**
   * Ends the stream for a server shutdown: the client comes back after a
   * random delay within `retryWindow` ms, so clients don't all return in
   * the same instant. @internal
   */
  endForShutdown(retryWindow: number): void {
    // The client comes back after this delay.
    if (retryWindow > 0 && this.#state === OPEN) this.#enqueue(formatRetry(Math.floor(Math.random() * retryWindow)), 0);
    this.#end("shutdown");
  }

  /**
   * Tears down a response that has not closed yet: its client has not taken
   * the last bytes in time. @internal
   */
  cut(): void {
    this.#markClosed("shutdown");
    // A connection that has not passed on the last bytes is stuck, and
    // whatever else shares it with this response is stuck behind it.
    if (!this.#responseClosed()) this.#destroyResponse(true);
  }

  /** Resolves when the response has closed (finished or torn down). @internal */
  ended(): Promise<void> {
    if (this.#responseClosed()) return Promise.resolve();
    return new Promise((resolve) => this.#res.once("close", () => resolve()));
  }

  /** Sends what accumulated this tick in one write. @internal */
  flush(): void {
    this.#scheduled = false;
    this.#write();
  }

  /** The response closed underneath us: the client left or the socket died. @internal */
  handleGone(): void {
    this.#takePending();
    this.#markClosed("client");
  }

  /** The client has taken a write larger than the bound: what waited behind it goes out. @internal */
  handleDrain(): void {
    this.#behindLargeWrite = false;
    this.#unsentAfterWrite = this.#wire.writableLength;
    if (this.#state === OPEN && this.#pending.length > 0 && !this.#scheduled) this.#schedule();
  }

  #write(): void {
    if (this.#state !== OPEN || this.#behindLargeWrite) return;
    const bytes = this.#pendingBytes;
    const events = this.#pendingEvents;
    const chunk = this.#takePending();
    if (chunk === undefined) return;
    const res = this.#res;
    const wire = this.#wire;
    if (wire.destroyed) return;
    const accepted = res.write(chunk);
    this.#countSent(chunk, events);
    this.#flushCompression();
    if (!accepted && bytes > this.#config.maxBufferedBytes) {
      // Whatever comes next waits until the client has taken this; the
      // response says so with `drain`, through the listener all share.
      this.#behindLargeWrite = true;
      res.once("drain", onResponseDrain);
    }
    this.#unsentAfterWrite = wire.writableLength;
  }

  // Tells this stream when the response closes, through the one listener
  // function all responses share. A response that closed already is gone now.
  #watchResponse(): void {
    const res = this.#res;
    if (res[streamOf] === this) return;
    if (this.#responseClosed()) {
      this.handleGone();
      return;
    }
    // An outer sse() instance's stream may have registered first; this one takes its place.
    if (res[streamOf] === undefined) res.on("close", onResponseClose);
    res[streamOf] = this;
  }

  #responseClosed(): boolean {
    return this.#wire.closed || this.#wire.destroyed;
  }

  // One addition per write to each counter, however many events it carries.
  #countSent(chunk: string | Buffer, events: number): void {
    const counters = this.#config.openStreams.counters;
    counters.bytesSent += typeof chunk === "string" ? Buffer.byteLength(chunk, "utf8") : chunk.length;
    counters.eventsSent += events;
  }

  #enqueue(chunk: Chunk, events: number): boolean {
    if (inCallout()) {
      // From a filter: after the events it is delivering, which were published first.
      if (this.#closing) return false;
      defer({ run: () => void this.#enqueue(chunk, events) });
      return this.#state !== CLOSED;
    }
    // Events published before this call go on the wire before it. A pass
    // may have found the client too slow and cut it.
    runDeferred();
    if (this.#state === CLOSED) return false;
    if (this.#state === IDLE) {
      this.open();
      if (this.closed) return false;
    }
    if (!this.#scheduled) {
      // The bound applies to bytes the client has had a chance to take and
      // hasn't: what earlier ticks left unsent. This tick's own bytes don't
      // count yet, so one event larger than the bound still reaches a client
      // that reads; a client that doesn't is cut on the next write. Those
      // bytes only change between ticks or when pending chunks go out, so
      // one look per batch is enough: a fan-out of a burst to thousands of
      // streams must not walk each response's write state for every event.
      if (this.#overBound()) {
        this.#cutSlowClient();
        return false;
      }
      this.#schedule();
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunkSize(chunk);
    this.#pendingEvents += events;
    return true;
  }

  // Behind a write larger than the bound, only what waits behind it counts:
  // the client may be taking the large one as fast as it can, and memory
  // stays bounded all the same. Otherwise, what the socket has not sent;
  // not even that while the last write left it under the bound, since it
  // can only have shrunk.
  #overBound(): boolean {
    const max = this.#config.maxBufferedBytes;
    if (this.#behindLargeWrite) return this.#pendingBytes > max;
    return this.#unsentAfterWrite > max && this.#wire.writableLength > max;
  }

  #schedule(): void {
    this.#scheduled = true;
    dirty.push(this);
    atTickEnd();
  }

  #takePending(): string | Buffer | undefined {
    if (this.#pending.length === 0) return undefined;
    const joined = joinChunks(this.#pending);
    // Emptied in place: a fan-out to thousands of streams would otherwise
    // leave an array per stream per tick for the collector.
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#pendingEvents = 0;
    return joined;
  }

  // Over maxConnections: 503 with Retry-After, before any event. Browsers
  // don't reconnect on 503 by themselves; the header tells a client when to.
  #refuseOverCapacity(): void {
    const res = this.#res;
    this.#state = CLOSED;
    this.#abort?.abort();
    if (!res.headersSent) {
      res.statusCode = 503;
      res.setHeader("Retry-After", String(Math.max(1, Math.ceil((this.#config.retry ?? DEFAULT_RETRY_AFTER_MS) / 1000))));
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
    }
    res.end("Too many open event streams; retry later.\n");
    const { openStreams, maxConnections } = this.#config;
    openStreams.counters.refused += 1;
    // Told once the answer is out, so a subscriber sees the 503.
    if (streamRefusedChannel.hasSubscribers) {
      streamRefusedChannel.publish({ request: this.#req, response: res, maxConnections } satisfies StreamRefusedMessage);
    }
  }

  // Compression middleware buffers until told to flush; an event that sits
  // in a gzip buffer has not been sent.
  #flushCompression(): void {
    const flush = (this.#res as { flush?: unknown }).flush;
    if (typeof flush === "function") flush.call(this.#res);
  }

  // Ending politely would queue yet more bytes behind the ones the client is
  // not reading; destroying the socket frees them now. The client reconnects
  // with Last-Event-ID and resumes from history.
  #cutSlowClient(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingEvents = 0;
    this.#markClosed("slowClient");
    this.#destroyResponse(false);
  }

  // Over HTTP/2 the stream is reset with CANCEL, which the client tells from
  // an end (a plain destroy resets with NO_ERROR, which reads as one). The
  // connection goes too only when asked: other streams may share it.
  #destroyResponse(withConnection: boolean): void {
    const wire = this.#wire;
    if (wire === this.#res) {
      this.#res.destroy();
      return;
    }
    const stream = wire as Http2Wire;
    stream.close(NGHTTP2_CANCEL);
    if (withConnection) stream.session?.destroy();
  }

  // `reason` counts only for a stream that was open (a HEAD response never is).
  #markClosed(reason: CloseReason): void {
    if (this.#state === CLOSED) return;
    const wasOpen = this.#state === OPEN;
    this.#state = CLOSED;
    if (this.#behindLargeWrite) {
      this.#behindLargeWrite = false;
      this.#res.off("drain", onResponseDrain);
    }
    if (wasOpen && this.#config.openStreams.delete(this, reason) && streamCloseChannel.hasSubscribers) {
      streamCloseChannel.publish({ stream: this, request: this.#req, response: this.#res, reason } satisfies StreamCloseMessage);
    }
    this.#abort?.abort();
  }
}
