import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { PreparedEvent } from "./format.js";

/** Options of one `sse()` middleware instance, validated when it is created. */
export interface SseOptions {
  /**
   * Milliseconds between heartbeat comments on every open stream, so proxies
   * don't close idle connections. Default 15000; `false` disables them.
   */
  keepAlive?: number | false;
  /** Reconnection delay in milliseconds, sent to the client with the first write. */
  retry?: number;
  /**
   * Per-connection bound on bytes written but not yet taken by the client.
   * Past it the connection is cut, and the client resumes from history when
   * it reconnects. A larger write still goes out; what follows it waits, and
   * counts against the bound, until the client has taken it. Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Most streams this instance holds open at once. Past it a new stream is
   * answered `503` with `Retry-After`, before any event. Default Infinity.
   */
  maxConnections?: number;
  /**
   * Milliseconds after which a stream is closed (plus up to 10% jitter), so
   * load balancers can rebalance; the client reconnects and resumes from
   * history. Default false: no limit.
   */
  maxAge?: number | false;
}

/** The optional fields of one event sent with {@link SseController.send}. */
export interface SendOptions {
  /** The event type; the client dispatches it under this name instead of `message`. */
  event?: string;
  /** The event id, which a reconnecting client sends back as `Last-Event-ID`. */
  id?: string;
  /** The client's reconnection delay in milliseconds. */
  retry?: number;
}

/** Options of {@link SseController.pipe}. */
export interface PipeOptions {
  /** The event type of every item. */
  event?: string;
}

/** One Server-Sent Events response, available as `res.sse`. */
export interface SseController {
  /**
   * Sends one event. Strings are sent verbatim (one `data:` line per line);
   * anything else is `JSON.stringify`d. Opens the stream if needed.
   * @returns `false`, without throwing, once the stream is closed.
   * @throws TypeError for an invalid field or data JSON cannot represent,
   * before anything is written.
   */
  send(data: unknown, options?: SendOptions): boolean;
  /**
   * Sends an event made once by `prepareEvent()` for many streams: no
   * serialising or encoding per stream. Returns `false` once closed.
   */
  sendPrepared(event: PreparedEvent): boolean;
  /**
   * Sends each item of an (async) iterable as an event, waiting while the
   * client is behind, until the iterable ends or the client goes away. It
   * does not close the stream.
   * @throws TypeError (synchronously, as a rejection) for a non-iterable or a bad event name.
   */
  pipe(source: AsyncIterable<unknown> | Iterable<unknown>, options?: PipeOptions): Promise<void>;
  /**
   * Resolves once the client has taken enough of what was sent that more can
   * be written, or the stream has closed. Async producers await it to keep
   * memory flat.
   */
  drain(): Promise<void>;
  /** Bytes sent but not yet taken by the client. */
  readonly bufferedBytes: number;
  /** Sends a comment (`: text`), which clients ignore. Returns `false` once closed. */
  comment(text?: string): boolean;
  /** Sends the status line and headers now, without an event. Idempotent. */
  open(): void;
  /** Ends the response. Idempotent. */
  close(): void;
  /** The `Last-Event-ID` the client sent, decoded as UTF-8; `undefined` when absent or invalid. */
  readonly lastEventId: string | undefined;
  /**
   * Aborted when the client goes away, written to or not, or when
   * {@link SseController.close} runs.
   */
  readonly signal: AbortSignal;
  /** Whether the stream has ended, from either side. */
  readonly closed: boolean;
}

/** Options of {@link SseMiddleware.close}. */
export interface CloseAllOptions {
  /**
   * Each client is told to reconnect after a random delay from 0 to this many
   * milliseconds, so they don't all come back at once. Default 5000; 0 sends
   * no retry.
   */
  retryWindow?: number;
}

/**
 * Why a stream ended: `client`, the client went away (or its connection
 * died); `server`, the app called `res.sse.close()` (itself or through a
 * channel's `close()`); `slowClient`, it was cut for leaving more than
 * `maxBufferedBytes` unsent; `maxAge`, it reached `maxAge`; `shutdown`, the
 * middleware's `close()` ended it.
 */
export type CloseReason = "client" | "server" | "slowClient" | "maxAge" | "shutdown";

/**
 * A snapshot of one `sse()` instance's streams, from {@link SseMiddleware.stats}.
 * Every number but `open` only grows.
 */
export interface SseStats {
  /** Streams open now. */
  open: number;
  /** Streams opened (headers sent with status 200); a refused request or a `HEAD` is not one. */
  opened: number;
  /** Streams ended, by why: `opened` = `open` + the sum of these. */
  closed: Record<CloseReason, number>;
  /** Requests answered 503 for being over `maxConnections`. */
  refused: number;
  /** Events written to streams: replayed and live, each once per stream; comments, heartbeats and `retry`-only blocks are not events. */
  eventsSent: number;
  /** Bytes of event stream handed to the connections (events, comments, heartbeats, `retry`), not counting headers. */
  bytesSent: number;
  /** Heartbeat comments written by the `keepAlive` timer. */
  heartbeats: number;
}

/**
 * The request handler `sse()` returns, plus control over its streams. It
 * runs in Express (4 and 5), in a plain node:http handler, and in a plain
 * handler on node:http2's compatibility API.
 */
export interface SseMiddleware {
  (
    req: IncomingMessage | Http2ServerRequest,
    res: ServerResponse | Http2ServerResponse,
    next: (error?: unknown) => void,
  ): void;
  /** How many streams of this instance are open. */
  readonly size: number;
  /**
   * The counters of this instance's streams, as a new plain object: cheap to
   * call on every scrape, and counting costs the streams one addition per
   * write, not per event.
   */
  stats(): SseStats;
  /**
   * Ends every open stream of this instance, for server shutdown: pending
   * events are delivered, then each client gets a jittered `retry` and the
   * end of its stream. Resolves when every response has finished, and at
   * the latest `retryWindow` + 2 s after the call: a client that has not
   * taken its last bytes by then is cut, its connection closed. A stream
   * that opens after the call is ended at once the same way. A later call
   * resolves with the first.
   */
  close(options?: CloseAllOptions): Promise<void>;
}

declare global {
  // Express's own types merge into this global namespace (both v4 and v5),
  // so every handler sees `res.sse` without a cast.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Response {
      /** The Server-Sent Events controller attached by `sse()`. */
      sse: SseController;
    }
  }
}
