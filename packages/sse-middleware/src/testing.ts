/**
 * `sse-middleware/testing`: a client for testing SSE routes, as supertest
 * is for JSON ones, but for responses that never end. It reads the stream
 * as a browser would and waits for events with a timeout, so a test of an
 * endless stream fails with what arrived instead of hanging. Works in any
 * test runner (vitest, jest, node:test): it only returns promises.
 *
 * ```ts
 * const stream = await openEventStream(app, "/news", { headers: { "Last-Event-ID": "7" } });
 * expect(await stream.next()).toEqual({ event: "story", data: '{"title":"…"}', id: "8" });
 * await stream.close();
 * ```
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import http2 from "node:http2";
import https from "node:https";
import type { AddressInfo, Server, Socket } from "node:net";
import tls from "node:tls";
import { EventStreamParser, type ServerSentEvent } from "./event-stream-parser.js";
import { describeValue } from "./format.js";
import { assertInteger, assertOptions, optionError } from "./options.js";

export type { ServerSentEvent } from "./event-stream-parser.js";

/**
 * What {@link openEventStream} can talk to: an Express app or any request
 * listener (served on an ephemeral 127.0.0.1 port for the stream's life), or
 * a server of node:http, node:https or node:http2, listening or not (one
 * that is not listening is started the same way, and stopped by `close()`).
 */
export type EventStreamTarget = ((req: IncomingMessage, res: ServerResponse) => unknown) | Server;

/** Options of {@link openEventStream}. */
export interface OpenEventStreamOptions {
  /** Request headers, such as `Last-Event-ID` or a cookie. `Accept: text/event-stream` is sent unless given. */
  headers?: Record<string, string>;
  /**
   * Longest wait, in ms, for the response's headers and for each call of
   * `next()`, `take()` or `takeUntil()`; past it the call rejects with what arrived so far.
   * Default 5000, below the default timeouts of vitest, jest and node:test's
   * own limits, so the message is this one.
   */
  timeout?: number;
}

/** An open event stream, read as a browser's EventSource reads it. */
export interface EventStream {
  /** The response's status code. */
  readonly status: number;
  /** The response's headers (lower-case names; no pseudo-headers over HTTP/2). */
  readonly headers: IncomingHttpHeaders;
  /**
   * The next event not yet taken. Rejects when the stream ends first, or
   * when none arrives within the timeout, with what arrived so far.
   */
  next(): Promise<ServerSentEvent>;
  /** The next `count` events, with one timeout for them all; rejects as `next()` does. */
  take(count: number): Promise<ServerSentEvent[]>;
  /**
   * The events not yet taken up to and including the first for which
   * `predicate` holds (such as a marker event), with one timeout for them
   * all; rejects as `next()` does, or with the error `predicate` throws.
   */
  takeUntil(predicate: (event: ServerSentEvent) => boolean): Promise<ServerSentEvent[]>;
  /** The events not yet taken, then each as it arrives, until the stream ends; a wait past the timeout throws. */
  readonly events: AsyncIterable<ServerSentEvent>;
  /**
   * Every event received so far, taken or not, oldest first (a copy): for
   * asserting what has, or has not, arrived without waiting or taking.
   */
  readonly received: readonly ServerSentEvent[];
  /**
   * What a browser would send back as `Last-Event-ID` now: the last id the
   * stream set (id-only blocks too), else the `Last-Event-ID` sent, else "".
   */
  readonly lastEventId: string;
  /** The reconnection time the stream set with `retry:`, in ms; undefined if none. */
  readonly retry: number | undefined;
  /** Whether the response is over (ended by the server, cut, or closed here). */
  readonly ended: boolean;
  /** Goes away as a client does, and stops the server `openEventStream` started, if it did. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5000;
// The end of the body shown in a timeout message.
const SHOWN_BYTES = 2000;
const OPTIONS = ["headers", "timeout"];

/** The transport below a stream: how to go away. */
interface Connection {
  close(): Promise<void>;
}

/** What a request sends and sees, whatever the protocol. */
interface Sink {
  head(status: number, headers: IncomingHttpHeaders): void;
  data(chunk: Buffer): void;
  end(): void;
  fail(error: Error): void;
}

function resolveOptions(options: unknown): { headers: Record<string, string>; timeout: number } {
  assertOptions(options, "openEventStream()", OPTIONS);
  const { headers = {}, timeout = DEFAULT_TIMEOUT_MS } = options as OpenEventStreamOptions;
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw optionError("openEventStream()", "headers", "an object of strings", headers);
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") throw optionError("openEventStream()", `header ${JSON.stringify(name)}`, "a string", value);
  }
  assertInteger(timeout, "openEventStream()", "timeout", { min: 1, max: 2 ** 31 - 1, rule: "a positive integer of milliseconds" });
  return { headers, timeout };
}

function isServer(target: unknown): target is Server {
  return typeof target === "object" && target !== null && typeof (target as Server).listen === "function" && typeof (target as Server).address === "function";
}

/** A server we started: its connections must not keep the process alive, and close() cuts them. */
async function startServer(server: Server): Promise<Connection> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    // A test that forgets close() must not hold the runner open.
    socket.unref();
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function originOf(server: Server): { host: string; port: number } {
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new TypeError(`openEventStream() needs a server listening on a TCP port, got one on ${describeValue(address)}`);
  }
  const { address: host, port } = address as AddressInfo;
  // A server on every address answers on loopback.
  if (host === "0.0.0.0" || host === "::") return { host: "127.0.0.1", port };
  return { host, port };
}

// node:http2's servers have updateSettings(); node:http's and node:https's do not.
function isHttp2(server: Server): boolean {
  return typeof (server as { updateSettings?: unknown }).updateSettings === "function";
}

function requestHttp1(server: Server, path: string, headers: Record<string, string>, sink: Sink): Connection {
  const { host, port } = originOf(server);
  const secure = server instanceof tls.Server;
  const options = { host, port, path, method: "GET", headers, agent: false, ...(secure ? { rejectUnauthorized: false } : {}) };
  const req = (secure ? https : http).request(options, (res) => {
    sink.head(res.statusCode ?? 0, res.headers);
    res.on("data", (chunk: Buffer) => sink.data(chunk));
    res.on("close", () => sink.end());
  });
  req.on("socket", (socket) => socket.unref());
  req.on("error", (error) => sink.fail(error));
  req.end();
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (req.destroyed && (req.socket === null || req.socket.destroyed)) {
          resolve();
          return;
        }
        req.once("close", () => resolve());
        req.destroy();
      }),
  };
}

function requestHttp2(server: Server, path: string, headers: Record<string, string>, sink: Sink): Connection {
  const { host, port } = originOf(server);
  const secure = server instanceof tls.Server;
  const authority = `${secure ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const session = http2.connect(authority, secure ? { rejectUnauthorized: false } : {});
  session.unref();
  // Errors surface on the stream.
  session.on("error", () => {});
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const stream = session.request({ ":method": "GET", ":path": path, ...lowerCased });
  stream.on("response", (responseHeaders) => {
    const { ":status": status, ...rest } = responseHeaders;
    sink.head(Number(status), rest as IncomingHttpHeaders);
  });
  stream.on("data", (chunk: Buffer) => sink.data(chunk));
  stream.on("error", (error) => sink.fail(error));
  stream.on("close", () => {
    sink.fail(new Error(`the stream closed before a response (HTTP/2 code ${stream.rstCode})`));
    sink.end();
    session.close();
  });
  stream.end();
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (session.destroyed) {
          resolve();
          return;
        }
        session.once("close", () => resolve());
        stream.close(http2.constants.NGHTTP2_CANCEL);
        session.destroy();
      }),
  };
}

/** The state of one stream: what arrived, what was taken, and who waits. */
class OpenStream implements EventStream {
  status = 0;
  headers: IncomingHttpHeaders = {};
  readonly events: AsyncIterable<ServerSentEvent>;
  readonly #describe: string;
  readonly #timeout: number;
  readonly #parser: EventStreamParser;
  // Every event received, and how many were taken.
  readonly #received: ServerSentEvent[] = [];
  #taken = 0;
  #tail = "";
  #ended = false;
  #wake: (() => void) | undefined;
  // Calls wait their turn, so concurrent next()s get successive events.
  #turn: Promise<unknown> = Promise.resolve();
  #connections: Connection[] = [];
  #closing: Promise<void> | undefined;

  constructor(describe: string, timeout: number, lastEventId: string) {
    this.#describe = describe;
    this.#timeout = timeout;
    this.#parser = new EventStreamParser((event) => this.#arrived(event), lastEventId);
    this.events = {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<ServerSentEvent>> => {
          const [event] = await this.#queue(1, false);
          return event === undefined ? { done: true, value: undefined } : { done: false, value: event };
        },
      }),
    };
  }

  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  get retry(): number | undefined {
    return this.#parser.retry;
  }

  get received(): readonly ServerSentEvent[] {
    return this.#received.slice();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** @internal */
  own(connection: Connection): void {
    this.#connections.push(connection);
  }

  /** @internal */
  receive(chunk: Buffer): void {
    this.#tail = (this.#tail + chunk.toString("utf8")).slice(-SHOWN_BYTES);
    this.#parser.feed(chunk);
  }

  /** @internal */
  finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#parser.end();
    this.#wake?.();
  }

  async next(): Promise<ServerSentEvent> {
    const [event] = await this.#queue(1, true);
    return event!;
  }

  async take(count: number): Promise<ServerSentEvent[]> {
    assertInteger(count, "take()", "count", { min: 0, rule: "a non-negative integer" });
    return this.#queue(count, true);
  }

  async takeUntil(predicate: (event: ServerSentEvent) => boolean): Promise<ServerSentEvent[]> {
    if (typeof predicate !== "function") throw new TypeError(`takeUntil() predicate must be a function, got ${describeValue(predicate)}`);
    // Where the search goes on: each event is tested once, however often the waiter wakes.
    let scanned: number | undefined;
    return this.#queue(() => {
      scanned ??= this.#taken;
      for (; scanned < this.#received.length; scanned += 1) {
        if (predicate(this.#received[scanned]!)) return scanned + 1 - this.#taken;
      }
      return undefined;
    }, true);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // The client first, then the server it talked to.
      for (const connection of this.#connections.reverse()) await connection.close();
      this.finish();
    })();
    return this.#closing;
  }

  #arrived(event: ServerSentEvent): void {
    this.#received.push(event);
    this.#wake?.();
  }

  // Waits its turn, then for `count` events (or as many as `count()` says,
  // once it says); at the end of the stream it rejects (`strict`) or
  // returns what is left.
  #queue(count: number | (() => number | undefined), strict: boolean): Promise<ServerSentEvent[]> {
    const turn = this.#turn.then(() => this.#waitFor(count, strict));
    this.#turn = turn.catch(() => {});
    return turn;
  }

  #waitFor(count: number | (() => number | undefined), strict: boolean): Promise<ServerSentEvent[]> {
    const wanted = typeof count === "function" ? undefined : count;
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        const available = this.#received.length - this.#taken;
        let needed: number | undefined;
        try {
          needed = typeof count === "function" ? count() : count;
        } catch (error) {
          reject(error);
          return true;
        }
        const short = needed === undefined || available < needed;
        if (short && !this.#ended) return false;
        if (short && strict) {
          reject(new Error(this.#report(`the stream ended`, wanted)));
          return true;
        }
        const taken = this.#received.slice(this.#taken, this.#taken + (needed ?? available));
        this.#taken += taken.length;
        resolve(taken);
        return true;
      };
      if (settle()) return;
      const timer = setTimeout(() => {
        this.#wake = undefined;
        reject(new Error(this.#report(`no event within ${this.#timeout} ms`, wanted)));
      }, this.#timeout);
      this.#wake = () => {
        if (!settle()) return;
        clearTimeout(timer);
        this.#wake = undefined;
      };
    });
  }

  // `count` undefined: takeUntil()'s wait, for an event that matches.
  #report(what: string, count: number | undefined): string {
    const available = this.#received.length - this.#taken;
    const wanted =
      count === undefined
        ? `an event takeUntil() accepts (${available} there, none accepted)`
        : count === 1
          ? "the next event"
          : `${count} events (${available} there)`;
    return [
      `openEventStream: ${what} while waiting for ${wanted} of ${this.#describe} (status ${this.status}).`,
      `Events received so far (${this.#received.length}, ${this.#taken} taken): ${JSON.stringify(this.#received.slice(-20))}`,
      `Last bytes received: ${JSON.stringify(this.#tail)}`,
    ].join("\n");
  }
}

/**
 * Opens `GET path` on `target` and resolves once the response's headers are
 * in, whatever its status. Events are parsed as a browser's EventSource
 * parses them (UTF-8 with one leading BOM dropped; CR, LF and CRLF line
 * ends; `data` lines joined; `id` with NUL ignored; `retry`; comments).
 * Nothing reconnects: each call is one request.
 * @throws TypeError for a bad target, path or option; Error (a rejection)
 * when no response arrives within the timeout.
 */
export async function openEventStream(
  target: EventStreamTarget,
  path: string,
  options: OpenEventStreamOptions = {},
): Promise<EventStream> {
  if (typeof target !== "function" && !isServer(target)) {
    throw new TypeError(`openEventStream() target must be an app, a request listener or a server, got ${describeValue(target)}`);
  }
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`openEventStream() path must be a string starting with "/", got ${describeValue(path)}`);
  }
  const { headers, timeout } = resolveOptions(options);
  // A browser that resumes keeps the id it sent until the stream sets another.
  const resumeFrom = Object.entries(headers).find(([name]) => name.toLowerCase() === "last-event-id")?.[1] ?? "";
  const stream = new OpenStream(`GET ${path}`, timeout, resumeFrom);
  const server = typeof target === "function" ? http.createServer(target as http.RequestListener) : target;
  if (!server.listening) stream.own(await startServer(server));
  const requestHeaders = { accept: "text/event-stream", ...headers };
  const headed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`openEventStream: no response within ${timeout} ms to GET ${path}`)), timeout);
    const sink: Sink = {
      head(status, responseHeaders) {
        stream.status = status;
        stream.headers = responseHeaders;
        clearTimeout(timer);
        resolve();
      },
      data: (chunk) => stream.receive(chunk),
      end: () => stream.finish(),
      fail(error) {
        clearTimeout(timer);
        reject(error);
      },
    };
    const send = isHttp2(server) ? requestHttp2 : requestHttp1;
    stream.own(send(server, path, requestHeaders, sink));
  });
  try {
    await headed;
  } catch (error) {
    await stream.close();
    throw error;
  }
  return stream;
}
