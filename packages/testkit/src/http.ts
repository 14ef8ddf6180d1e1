import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http, { type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import tls from "node:tls";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { SseController, SseMiddleware } from "sse-middleware";

/**
 * How a test server speaks: HTTP/1.1, HTTP/2 in clear text (h2c, with prior
 * knowledge, as node's http2 client does), or HTTP/2 over TLS (h2, what
 * browsers speak) with a self-signed certificate made for the run.
 */
export type Protocol = "http/1.1" | "h2c" | "h2";

/** The protocols every core behaviour is tested over: `describe.each(protocols)`. */
export const protocols = ["http/1.1", "h2c"] as const satisfies readonly Protocol[];

export type AnyServer = http.Server | http2.Http2Server | http2.Http2SecureServer;

/** A server on 127.0.0.1 with an ephemeral port, closed by `close()`. */
export interface TestServer<Server extends AnyServer = http.Server> {
  url: string;
  protocol: Protocol;
  server: Server;
  /** Requests `path` (or a whole URL) over this server's protocol. */
  request(path: string, options?: Omit<RequestOptions, "protocol">): Promise<RawStream>;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves `handler` over `protocol` (default HTTP/1.1). On HTTP/2 the
 * handler gets node:http2's compatibility request and response, typed here
 * as node:http's: only what both have works there (Express does not).
 */
export function listen(handler: RequestListener, options?: { protocol?: "http/1.1" }): Promise<TestServer>;
export function listen(handler: RequestListener, options: { protocol: Protocol }): Promise<TestServer<AnyServer>>;
export async function listen(
  handler: RequestListener,
  { protocol = "http/1.1" }: { protocol?: Protocol } = {},
): Promise<TestServer<AnyServer>> {
  let server: AnyServer;
  let cutConnections: () => void;
  if (protocol === "http/1.1") {
    const h1 = http.createServer(handler);
    server = h1;
    cutConnections = () => h1.closeAllConnections();
  } else {
    const compatHandler = handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
    const h2 =
      protocol === "h2c" ? http2.createServer(compatHandler) : http2.createSecureServer(selfSignedCertificate(), compatHandler);
    const sessions = new Set<http2.ServerHttp2Session>();
    h2.on("session", (session) => {
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
    });
    // A destroyed session waits for its socket to pass on what is queued,
    // which a paused client never takes: the test cuts the sockets too.
    const sockets = new Set<net.Socket>();
    h2.on("connection", (socket: net.Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    server = h2;
    cutConnections = () => {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    };
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `${protocol === "h2" ? "https" : "http"}://127.0.0.1:${port}`;
  return {
    url,
    protocol,
    server,
    request: (path, requestOptions) => request(new URL(path, url).href, { ...requestOptions, protocol }),
    close: () =>
      new Promise<void>((resolve) => {
        cutConnections();
        server.close(() => resolve());
      }),
  };
}

/** A response with the controller `sse()` attaches, on either protocol. */
export type SseResponse = ServerResponse & { sse: SseController };

/**
 * A plain request handler that runs `middleware` and then `handle` (Express
 * does not run on node:http2, so tests over every protocol use this).
 */
export function withSse(
  middleware: SseMiddleware,
  handle: (req: IncomingMessage, res: SseResponse) => void,
): RequestListener {
  return (req, res) => middleware(req, res, () => handle(req, res as SseResponse));
}

/** A handler in a {@link TestApp}: Express's shape, with `res.sse` typed. */
export type TestHandler = (req: IncomingMessage, res: SseResponse, next: (error?: unknown) => void) => void;

/** What tests need of an app, which Express apps and {@link plainApp} both provide. */
export interface TestApp {
  use(handler: TestHandler): void;
  get(path: string, ...handlers: TestHandler[]): void;
  head(path: string, ...handlers: TestHandler[]): void;
}

/**
 * Express's `use`, `get` and `head` for plain handlers, on node:http and
 * node:http2 alike (Express itself does not run on node:http2). Paths match
 * exactly, query ignored; GET routes answer HEAD too; a request nothing
 * answers gets a 404, an error passed to `next` a 500.
 */
export function plainApp(): TestApp & { handler: RequestListener } {
  const layers: { method?: string; path?: string; handle: TestHandler }[] = [];
  const add = (method: string, path: string, handlers: TestHandler[]) => {
    for (const handle of handlers) layers.push({ method, path, handle });
  };
  return {
    use: (handle) => void layers.push({ handle }),
    get: (path, ...handlers) => add("GET", path, handlers),
    head: (path, ...handlers) => add("HEAD", path, handlers),
    handler: (req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      let at = 0;
      const next = (error?: unknown): void => {
        if (error !== undefined) {
          res.statusCode = 500;
          res.end();
          return;
        }
        while (at < layers.length) {
          const layer = layers[at]!;
          at += 1;
          // As in Express, GET routes answer HEAD too.
          const method = req.method === "HEAD" && layer.method === "GET" ? "HEAD" : layer.method;
          if ((method === undefined || method === req.method) && (layer.path === undefined || layer.path === path)) {
            layer.handle(req, res as SseResponse, next);
            return;
          }
        }
        res.statusCode = 404;
        res.end();
      };
      next();
    },
  };
}

/** Routes by path (query ignored) to plain handlers; anything else is a 404. */
export function routes(table: Record<string, RequestListener>): RequestListener {
  return (req, res) => {
    const handler = table[new URL(req.url ?? "/", "http://x").pathname];
    if (handler !== undefined) return handler(req, res);
    res.statusCode = 404;
    res.end();
  };
}

let certificate: { key: Buffer; cert: Buffer } | undefined;

/** A key and a self-signed certificate for 127.0.0.1 and localhost, made once per process with openssl. */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  if (certificate !== undefined) return certificate;
  const dir = mkdtempSync(join(tmpdir(), "sse-test-cert-"));
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", keyPath, "-out", certPath],
      { stdio: "ignore" },
    );
    certificate = { key: readFileSync(keyPath), cert: readFileSync(certPath) };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A response read byte for byte: what a client actually received. */
export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Everything received so far, decoded as UTF-8. */
  text(): string;
  /** Each body chunk as it arrived (after HTTP chunked decoding, or one HTTP/2 DATA read). */
  chunks: Buffer[];
  /** Events parsed from the body by eventsource-parser. */
  events: EventSourceMessage[];
  /** Resolves when `predicate` holds for the received text; rejects if the response closes first. */
  waitFor(predicate: (text: string) => boolean): Promise<string>;
  /** Resolves with the whole body when the server ends the response; rejects when it is cut instead. */
  ended: Promise<string>;
  /** Resolves when the response is over, ended or cut. */
  closed: Promise<void>;
  /** Stops reading the connection: the server's writes back up behind it, as behind a client that stalls. */
  pause(): void;
  /** Reads the connection again. */
  resume(): void;
  /** The client goes away. */
  destroy(): void;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Default HTTP/1.1. */
  protocol?: Protocol;
}

/** Requests `url` over `protocol` (default HTTP/1.1) on a connection of its own. */
export function request(url: string, options: RequestOptions = {}): Promise<RawStream> {
  return startRequest(url, options).response;
}

/** A request sent, whose response may never come. */
export interface PendingRequest {
  /** Resolves with the response once its headers arrive. */
  response: Promise<RawStream>;
  /** The client goes away, answered or not. */
  destroy(): void;
}

/** Sends a request without waiting for an answer: for clients that leave before the server writes anything. */
export function startRequest(
  url: string,
  { method = "GET", headers = {}, protocol = "http/1.1" }: RequestOptions = {},
): PendingRequest {
  const pending = protocol === "http/1.1" ? requestHttp1(url, method, headers) : requestHttp2(url, method, headers, protocol);
  // A client that leaves first never gets its response; that is no error.
  pending.response.catch(() => {});
  return pending;
}

/** What both clients feed: the body's bytes as they come, and the waiters on them. */
class Body {
  readonly chunks: Buffer[] = [];
  readonly events: EventSourceMessage[] = [];
  readonly #parser = createParser({ onEvent: (event) => this.events.push(event) });
  readonly #decoder = new StringDecoder("utf8");
  readonly #waiters = new Set<() => void>();
  #text = "";
  #closed = false;

  readonly text = (): string => this.#text;

  receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    const decoded = this.#decoder.write(chunk);
    this.#text += decoded;
    this.#parser.feed(decoded);
    for (const wake of this.#waiters) wake();
  }

  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters) wake();
  }

  /** A RawStream reading this body, with what the protocol's client adds. */
  rawStream(client: Omit<RawStream, "text" | "chunks" | "events" | "waitFor">): RawStream {
    return { ...client, text: this.text, chunks: this.chunks, events: this.events, waitFor: (predicate) => this.waitFor(predicate) };
  }

  waitFor(predicate: (text: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this.#text)) {
          this.#waiters.delete(check);
          resolve(this.#text);
        } else if (this.#closed) {
          this.#waiters.delete(check);
          reject(new Error(`stream closed before condition held; got ${this.#text.length} characters ending ${JSON.stringify(this.#text.slice(-200))}`));
        }
      };
      this.#waiters.add(check);
      check();
    });
  }
}

function requestHttp1(url: string, method: string, headers: Record<string, string>): PendingRequest {
  let req!: http.ClientRequest;
  const response = new Promise<RawStream>((resolve, reject) => {
    // Like a browser, ask for keep-alive (Node's client says close without an agent).
    req = http.request(url, { method, headers: { Connection: "keep-alive", ...headers }, agent: false }, (res) => {
      const body = new Body();
      const ended = new Promise<string>((resolveEnd, rejectEnd) => {
        res.on("end", () => resolveEnd(body.text()));
        res.on("error", rejectEnd);
        res.on("aborted", () => rejectEnd(new Error("response aborted")));
      });
      ended.catch(() => {});
      const closed = new Promise<void>((resolveClosed) =>
        res.on("close", () => {
          body.close();
          resolveClosed();
        }),
      );
      res.on("data", (chunk: Buffer) => body.receive(chunk));
      const socket = res.socket;
      resolve(
        body.rawStream({
          status: res.statusCode ?? 0,
          headers: res.headers,
          ended,
          closed,
          pause: () => socket.pause(),
          resume: () => socket.resume(),
          destroy: () => req.destroy(),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
  return { response, destroy: () => req.destroy() };
}

/**
 * A connection whose reading can be stopped. Node's http2 session reads a
 * net or TLS socket natively, where pause() does not reach; through a plain
 * Duplex it reads in JavaScript, and stopping that backs up TCP.
 */
function pausableConnection(socket: net.Socket): { transport: Duplex; pause(): void; resume(): void } {
  let paused = false;
  const transport = new Duplex({
    read() {
      if (!paused) socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on("data", (data: Buffer) => {
    if (!transport.push(data)) socket.pause();
  });
  socket.on("end", () => transport.push(null));
  socket.on("error", (error) => transport.destroy(error));
  socket.on("close", () => transport.destroy());
  return {
    transport,
    pause: () => {
      paused = true;
      socket.pause();
    },
    resume: () => {
      paused = false;
      socket.resume();
    },
  };
}

// Chromium's HTTP/2 receive windows: 6 MiB per stream, 15 MiB per connection.
const BROWSER_STREAM_WINDOW = 6 * 1024 * 1024;
const BROWSER_SESSION_WINDOW = 15 * 1024 * 1024;

function requestHttp2(url: string, method: string, headers: Record<string, string>, protocol: "h2c" | "h2"): PendingRequest {
  const { hostname, port, pathname, search, origin } = new URL(url);
  const socket =
    protocol === "h2c"
      ? net.connect(Number(port), hostname)
      : tls.connect({ host: hostname, port: Number(port), ALPNProtocols: ["h2"], rejectUnauthorized: false, servername: "localhost" });
  // Window updates are small frames: Nagle's algorithm would hold each one back for a round trip.
  socket.setNoDelay(true);
  const connection = pausableConnection(socket);
  // Flow-control windows as large as Chromium's, so the client can read as fast as a browser.
  const session = http2.connect(origin, {
    createConnection: () => connection.transport,
    settings: { initialWindowSize: BROWSER_STREAM_WINDOW },
  });
  session.once("connect", () => session.setLocalWindowSize(BROWSER_SESSION_WINDOW));
  // Errors surface on the stream; a session error would otherwise be thrown.
  session.on("error", () => {});
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const stream = session.request({ ":method": method, ":path": `${pathname}${search}`, ...lowerCased });
  stream.on("error", () => {});
  const destroy = () => {
    // As a browser tab that goes: the stream is cancelled, then the connection closed.
    stream.close(http2.constants.NGHTTP2_CANCEL);
    session.destroy();
  };
  const response = new Promise<RawStream>((resolve, reject) => {
    stream.on("close", () => {
      session.close();
      reject(new Error(`stream closed before a response (code ${stream.rstCode})`));
    });
    stream.on("response", (responseHeaders) => {
      const body = new Body();
      let gotEnd = false;
      stream.on("end", () => (gotEnd = true));
      const closed = new Promise<void>((resolveClosed) => stream.on("close", () => resolveClosed()));
      // A reset (RST_STREAM, or the session gone) ends the readable side too;
      // only a close with NO_ERROR after the end is a response that ended.
      const ended = closed.then(() => {
        if (!gotEnd || stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
          throw new Error(`response cut (stream closed with code ${stream.rstCode})`);
        }
        return body.text();
      });
      ended.catch(() => {});
      stream.on("close", () => body.close());
      stream.on("data", (chunk: Buffer) => body.receive(chunk));
      const { ":status": status, ...rest } = responseHeaders;
      resolve(
        body.rawStream({
          status: Number(status),
          headers: rest as IncomingHttpHeaders,
          ended,
          closed,
          pause: connection.pause,
          resume: connection.resume,
          destroy,
        }),
      );
    });
    stream.end();
  });
  return { response, destroy };
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `ms` milliseconds. Used to let time pass, never to assert on it. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** A client speaking HTTP/1.1 over a bare socket, to see chunk boundaries and to stop reading. */
export interface RawSocketClient {
  socket: net.Socket;
  /** Every byte received, headers and chunked framing included. */
  received(): Buffer;
  /** The body's HTTP chunks, decoded from the framing, as they were framed. */
  bodyChunks(): string[];
  /** Resolves when the server has sent the last chunk (the response ended; the connection may stay open). */
  ended: Promise<void>;
  /** Resolves when `predicate` holds for the body chunks. */
  waitForChunks(predicate: (chunks: string[]) => boolean): Promise<string[]>;
}

export async function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawSocketClient> {
  const { hostname, port, pathname, search } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const parts: Buffer[] = [];
  const waiters = new Set<() => void>();
  const LAST_CHUNK = "\r\n0\r\n\r\n";
  let tail = "";
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  socket.on("data", (data: Buffer) => {
    parts.push(data);
    tail = (tail + data.subarray(-LAST_CHUNK.length).toString("latin1")).slice(-LAST_CHUNK.length);
    if (tail === LAST_CHUNK) markEnded();
    for (const wake of waiters) wake();
  });
  socket.on("close", () => {
    for (const wake of waiters) wake();
  });
  const head = [`GET ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  socket.write(`${head.join("\r\n")}\r\n\r\n`);
  const received = () => Buffer.concat(parts);
  const bodyChunks = () => {
    const all = received();
    let at = all.indexOf("\r\n\r\n") + 4;
    if (at < 4) return [];
    const chunks: string[] = [];
    for (;;) {
      const lineEnd = all.indexOf("\r\n", at);
      if (lineEnd === -1) break;
      const size = parseInt(all.subarray(at, lineEnd).toString("latin1"), 16);
      if (Number.isNaN(size) || size === 0 || lineEnd + 2 + size + 2 > all.length) break;
      chunks.push(all.subarray(lineEnd + 2, lineEnd + 2 + size).toString("utf8"));
      at = lineEnd + 2 + size + 2;
    }
    return chunks;
  };
  return {
    socket,
    received,
    bodyChunks,
    ended,
    waitForChunks: (predicate) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const chunks = bodyChunks();
          if (predicate(chunks)) {
            waiters.delete(check);
            resolve(chunks);
          } else if (socket.destroyed) {
            waiters.delete(check);
            reject(new Error(`socket closed; chunks so far: ${JSON.stringify(chunks)}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/**
 * Things that arrive one by one (handlers that ran, events a client got),
 * and a way to wait until enough have.
 */
export class Arrivals<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const wake of this.#waiters) wake();
  }

  /** Resolves once at least `count` items have arrived. */
  atLeast(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.items.length >= count) {
          this.#waiters.delete(check);
          resolve();
        }
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/**
 * Sends `GET <path>` with a `Last-Event-ID` of raw bytes, which Node's own
 * client refuses to send, and resolves with everything the server sent, as
 * latin1. The request asks to close, so a response that ends ends the
 * connection; for a stream that stays open, `cutAfterHeadersMs` cuts it that
 * long after the headers arrive.
 */
export function requestWithRawLastEventId(
  url: string,
  lastEventId: Buffer,
  { cutAfterHeadersMs }: { cutAfterHeadersMs?: number } = {},
): Promise<string> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const parts: Buffer[] = [];
    let cutting = false;
    socket.on("data", (data: Buffer) => {
      parts.push(data);
      if (cutAfterHeadersMs !== undefined && !cutting && Buffer.concat(parts).includes("\r\n\r\n")) {
        cutting = true;
        setTimeout(() => socket.destroy(), cutAfterHeadersMs);
      }
    });
    socket.on("close", () => resolve(Buffer.concat(parts).toString("latin1")));
    socket.on("error", reject);
    socket.write(
      Buffer.concat([
        Buffer.from(`GET ${pathname} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nLast-Event-ID: `),
        lastEventId,
        Buffer.from("\r\n\r\n"),
      ]),
    );
  });
}

/**
 * A controller of the app's own making around a real stream: it forwards
 * every member to `stream`, except those `replaced` describes (property
 * descriptors, so getters can be replaced too).
 */
export function wrapController(stream: SseController, replaced: PropertyDescriptorMap = {}): SseController {
  const wrapper: SseController = {
    send: (data, options) => stream.send(data, options),
    sendPrepared: (event) => stream.sendPrepared(event),
    pipe: (source, options) => stream.pipe(source, options),
    drain: () => stream.drain(),
    get bufferedBytes() {
      return stream.bufferedBytes;
    },
    comment: (text) => stream.comment(text),
    open: () => stream.open(),
    close: () => stream.close(),
    get lastEventId() {
      return stream.lastEventId;
    },
    get signal() {
      return stream.signal;
    },
    get closed() {
      return stream.closed;
    },
  };
  return Object.defineProperties(wrapper, replaced);
}

/**
 * `stream` as a client too slow to read would make it, until `released`
 * resolves: always far behind, and `drain()` waits for the release. A
 * replay to it stops after its first event, as long as the test wants.
 */
export function slowUntil(stream: SseController, released: Promise<void>): SseController {
  let slow = true;
  void released.then(() => (slow = false));
  return wrapController(stream, {
    bufferedBytes: { get: () => (slow ? Number.MAX_SAFE_INTEGER : stream.bufferedBytes) },
    drain: { value: () => released.then(() => stream.drain()) },
  });
}

/**
 * Serves every request with `middleware` over HTTP/1.1 and hands its
 * controller to `handle`; `arrivals` has the controllers, in order.
 */
export async function serveStreams(
  middleware: SseMiddleware,
  handle: (stream: SseController) => void,
): Promise<{ server: TestServer; arrivals: Arrivals<SseController> }> {
  const arrivals = new Arrivals<SseController>();
  const server = await listen(
    withSse(middleware, (_req, res) => {
      handle(res.sse);
      arrivals.push(res.sse);
    }),
  );
  return { server, arrivals };
}
