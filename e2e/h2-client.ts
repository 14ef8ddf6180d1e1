// Node's own HTTP/2 client reading an event stream through a test proxy, as
// a browser would connect (TLS, ALPN h2, the site's name), but showing what
// a browser hides: the response's headers and its encoding.
import http2 from "node:http2";
import { createGunzip } from "node:zlib";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Arrivals } from "sse-testkit/http";
import { siteName } from "./proxy-configs.js";
import type { RunningProxy } from "./proxies.js";

/** Far longer than an event takes through a proxy that does not hold it back. */
const settleMs = 10_000;

function within(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not arrive within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An open event stream, its headers and the events parsed so far. */
export interface H2EventStream {
  readonly headers: http2.IncomingHttpHeaders;
  readonly events: EventSourceMessage[];
  /** Resolves once at least `count` events have been parsed; rejects if they take over 10 s. */
  atLeast(count: number): Promise<void>;
  close(): void;
}

/**
 * `GET path` through `proxy` over HTTP/2 with `headers` added; resolves with
 * the response's headers once they arrive. A gzip-encoded body is decoded as
 * it comes, so an event is parsed as soon as its bytes can be decompressed.
 */
export function openEventStream(
  proxy: RunningProxy,
  path: string,
  headers: Record<string, string> = {},
): Promise<H2EventStream> {
  const session = http2.connect(`https://127.0.0.1:${proxy.port}`, {
    servername: siteName,
    // The certificate is the one the test made.
    rejectUnauthorized: false,
  });
  const request = session.request({ ":path": path, ":authority": `${siteName}:${proxy.port}`, ...headers });
  request.end();
  const arrivals = new Arrivals<EventSourceMessage>();
  const parser = createParser({ onEvent: (event) => arrivals.push(event) });
  let closed = false;
  // A broken body fails whoever waits for events, rather than the process.
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const close = (): void => {
    closed = true;
    request.close();
    session.destroy();
  };
  return new Promise((resolve, reject) => {
    session.once("error", reject);
    request.once("error", reject);
    request.once("response", (responseHeaders) => {
      const body = responseHeaders["content-encoding"] === "gzip" ? request.pipe(createGunzip()) : request;
      // Cutting a compressed stream leaves gzip without its end; only an error before that counts.
      body.on("error", (error) => {
        if (!closed) fail(error);
      });
      body.setEncoding("utf8");
      body.on("data", (text: string) => parser.feed(text));
      resolve({
        headers: responseHeaders,
        events: arrivals.items,
        atLeast: (count) => within(Promise.race([arrivals.atLeast(count), failed]), settleMs, `${count} events`),
        close,
      });
    });
  });
}
