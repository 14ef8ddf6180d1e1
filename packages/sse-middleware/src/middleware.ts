import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { assertRetry, describeValue } from "./format.js";
import { OpenStreams } from "./open-streams.js";
import { readOptions } from "./options.js";
import { SseStream, type StreamConfig } from "./stream.js";
import type { CloseAllOptions, SseMiddleware, SseOptions, SseStats } from "./types.js";

const DEFAULT_KEEP_ALIVE_MS = 15_000;
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
// setInterval clamps anything longer to 1 ms, with a warning.
const MAX_TIMER_MS = 2 ** 31 - 1;
const OPTION_NAMES = ["keepAlive", "retry", "maxBufferedBytes", "maxConnections", "maxAge"];
const DEFAULT_RETRY_WINDOW_MS = 5000;
/**
 * At shutdown, how long past `retryWindow` a client has to take its last
 * bytes before it is cut: `close()` resolves by then whatever the clients
 * do. Documented in the README and SECURITY.md.
 */
const SHUTDOWN_GRACE_MS = 2000;

function resolveOptions(options: unknown): StreamConfig {
  const {
    keepAlive = DEFAULT_KEEP_ALIVE_MS,
    retry,
    maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES,
    maxConnections = Infinity,
    maxAge = false,
  } = readOptions<SseOptions>(options, "sse()", OPTION_NAMES);
  if (keepAlive !== false && (!Number.isInteger(keepAlive) || keepAlive < 1 || keepAlive > MAX_TIMER_MS)) {
    throw new TypeError(
      `sse() keepAlive must be false or an integer of milliseconds from 1 to ${MAX_TIMER_MS}, got ${describeValue(keepAlive)}`,
    );
  }
  if (retry !== undefined) assertRetry(retry);
  if (
    typeof maxBufferedBytes !== "number" ||
    !(Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes === Infinity) ||
    maxBufferedBytes < 1
  ) {
    throw new TypeError(
      `sse() maxBufferedBytes must be a positive integer of bytes or Infinity, got ${describeValue(maxBufferedBytes)}`,
    );
  }
  if (
    typeof maxConnections !== "number" ||
    !(Number.isSafeInteger(maxConnections) || maxConnections === Infinity) ||
    maxConnections < 1
  ) {
    throw new TypeError(
      `sse() maxConnections must be a positive integer or Infinity, got ${describeValue(maxConnections)}`,
    );
  }
  if (maxAge !== false && (!Number.isSafeInteger(maxAge) || maxAge < 1)) {
    throw new TypeError(`sse() maxAge must be false or a positive integer of milliseconds, got ${describeValue(maxAge)}`);
  }
  return {
    retry,
    maxBufferedBytes,
    maxConnections,
    maxAgeMs: maxAge,
    openStreams: new OpenStreams<SseStream>({ keepAliveMs: keepAlive, maxAgeMs: maxAge }),
    shutdown: undefined,
  };
}

function resolveRetryWindow(options: unknown): number {
  const { retryWindow = DEFAULT_RETRY_WINDOW_MS } = readOptions<CloseAllOptions>(options, "close()", ["retryWindow"]);
  if (!Number.isSafeInteger(retryWindow) || retryWindow < 0) {
    throw new TypeError(`close() retryWindow must be a non-negative integer of milliseconds, got ${describeValue(retryWindow)}`);
  }
  return retryWindow;
}

/**
 * Creates the middleware that attaches `res.sse` to each response. Options
 * are validated here, once; per request it only allocates the controller,
 * and nothing is written until the handler uses it.
 * @throws TypeError for an unknown or invalid option.
 */
export function sse(options: SseOptions = {}): SseMiddleware {
  const config = resolveOptions(options);
  // The first close(): a later call waits for the same streams, not for none.
  let closing: Promise<void> | undefined;
  const middleware = function sseMiddleware(
    req: IncomingMessage | Http2ServerRequest,
    res: ServerResponse | Http2ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    const target = res as { sse?: unknown };
    // With `app.use(sse())` and a route-level `sse(options)` both present,
    // the innermost wins, unless the outer one has already started streaming.
    if (!(target.sse instanceof SseStream) || !target.sse.started) {
      // node:http2's compatibility objects stand in for node:http's; the
      // stream reads what they lack from the Http2Stream (see stream.ts).
      target.sse = new SseStream(req as IncomingMessage, res as ServerResponse, config);
    }
    next();
  };

  /** Ends every open stream for shutdown; resolves once each has finished or been cut. */
  async function closeAll(retryWindow: number): Promise<void> {
    config.shutdown = { retryWindow };
    const streams = config.openStreams.list();
    if (streams.length === 0) return;
    const ended = Promise.all(streams.map((stream) => stream.ended()));
    for (const stream of streams) stream.endForShutdown(retryWindow);
    // A client that stopped reading would hold its response open forever.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<true>((resolve) => {
      timer = setTimeout(resolve, retryWindow + SHUTDOWN_GRACE_MS, true);
    });
    const timedOut = await Promise.race([ended.then(() => false), late]);
    clearTimeout(timer);
    if (timedOut) for (const stream of streams) stream.cut();
  }

  return Object.defineProperties(middleware, {
    size: { get: () => config.openStreams.size, enumerable: true },
    stats: { value: (): SseStats => config.openStreams.stats() },
    close: {
      value: async (closeOptions: CloseAllOptions = {}): Promise<void> => {
        const retryWindow = resolveRetryWindow(closeOptions);
        // The first call has ended every stream, which no longer counts as
        // open while it waits for them to finish; wait with it.
        return (closing ??= closeAll(retryWindow));
      },
    },
  }) as SseMiddleware;
}
