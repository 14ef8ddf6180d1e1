import http, { type IncomingHttpHeaders, type RequestListener } from "node:http";
import { StringDecoder } from "node:string_decoder";
import net, { type AddressInfo } from "node:net";
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** A server on 127.0.0.1 with an ephemeral port, closed by `close()`. */
export interface TestServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A response read byte for byte: what a client actually received. */
export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Everything received so far, decoded as UTF-8. */
  text(): string;
  /** Each body chunk as it arrived (after HTTP chunked decoding). */
  chunks: Buffer[];
  /** Events parsed from the body by eventsource-parser. */
  events: EventSourceMessage[];
  /** Resolves when `predicate` holds for the received text. */
  waitFor(predicate: (text: string) => boolean): Promise<string>;
  /** Resolves with the whole body when the server ends the response. */
  ended: Promise<string>;
  /** The client goes away. */
  destroy(): void;
}

export function request(
  url: string,
  { method = "GET", headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    // Like a browser, ask for keep-alive (Node's client says close without an agent).
    const req = http.request(url, { method, headers: { Connection: "keep-alive", ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const events: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (event) => events.push(event) });
      const waiters = new Set<() => void>();
      const decoder = new StringDecoder("utf8");
      let received = "";
      const text = () => received;
      const ended = new Promise<string>((resolveEnd, rejectEnd) => {
        res.on("end", () => resolveEnd(text()));
        res.on("error", rejectEnd);
        res.on("aborted", () => rejectEnd(new Error("response aborted")));
      });
      ended.catch(() => {});
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        const decoded = decoder.write(chunk);
        received += decoded;
        parser.feed(decoded);
        for (const wake of waiters) wake();
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text,
        chunks,
        events,
        ended,
        waitFor: (predicate) =>
          new Promise((resolveWait, rejectWait) => {
            const check = () => {
              const current = text();
              if (predicate(current)) {
                waiters.delete(check);
                resolveWait(current);
              }
            };
            waiters.add(check);
            res.on("close", () => {
              if (waiters.delete(check)) rejectWait(new Error(`stream closed before condition held; got ${JSON.stringify(text())}`));
            });
            check();
          }),
        destroy: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
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
