import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sse } from "sse-middleware";
import { listen, routes, withSse } from "sse-testkit/http";
import { launchChromium, type HeadlessChromium } from "./chromium.js";

let browser: HeadlessChromium | undefined;
beforeAll(async () => {
  // The server's certificate is self-signed, made for this run.
  browser = await launchChromium({ ignoreCertificateErrors: true });
});
afterAll(async () => {
  await browser?.close();
});

/** What the page's EventSource saw. */
interface Seen {
  protocol: string;
  messages: number;
  outOfOrder: number;
  opens: number;
  errors: number;
}

describe("an EventSource over HTTP/2 with TLS, in Chromium", () => {
  it("receives a long stream completely, on one request, without reconnecting", async () => {
    const total = 4000;
    const item = "k".repeat(1024);
    const requests: string[] = [];
    const events = sse({ keepAlive: false });
    const server = await listen(
      routes({
        "/": (_req, res) => {
          res.setHeader("Content-Type", "text/html; charset=utf-8");
          res.end("<!doctype html><title>HTTP/2 stream</title>");
        },
        "/events": withSse(events, (req, res) => {
          requests.push(req.httpVersion);
          function* items() {
            for (let i = 1; i <= total; i += 1) yield `${i}:${item}`;
          }
          void res.sse.pipe(items()).then(() => res.sse.send("", { event: "done" }));
        }),
      }),
      { protocol: "h2" },
    );
    try {
      const page = await browser!.newPage();
      await page.goto(`${server.url}/`);
      const seen = await page.evaluate(
        () =>
          new Promise<Seen>((resolve) => {
            const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
            const result: Seen = { protocol: navigation.nextHopProtocol, messages: 0, outOfOrder: 0, opens: 0, errors: 0 };
            const source = new EventSource("/events");
            const finish = () => {
              source.close();
              resolve(result);
            };
            source.onopen = () => (result.opens += 1);
            // A cut stream shows as an error (and the browser would reconnect): stop there.
            source.onerror = () => {
              result.errors += 1;
              finish();
            };
            source.onmessage = (event: MessageEvent<string>) => {
              result.messages += 1;
              if (!event.data.startsWith(`${result.messages}:`)) result.outOfOrder += 1;
            };
            source.addEventListener("done", finish);
          }),
      );
      expect(seen).toEqual({ protocol: "h2", messages: total, outOfOrder: 0, opens: 1, errors: 0 });
      expect(requests).toEqual(["2.0"]);
      await page.close();
    } finally {
      await events.close({ retryWindow: 0 });
      await server.close();
    }
  });
});
