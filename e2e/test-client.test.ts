// sse-middleware/testing claims to read a stream "as a browser would": here
// Chromium's EventSource and openEventStream read the same awkward bytes
// (a BOM, every line end, split UTF-8, an id with NUL, id-only blocks, a
// cut-off last event) and must agree on every event's type, data and
// lastEventId.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEventStream } from "sse-middleware/testing";
import { launchChromium, type HeadlessChromium } from "./chromium.js";

/** The body, in the writes it goes out in (each on a turn of its own). */
const WRITES: (string | Buffer)[] = [
  "\uFEFF: a comment after the BOM\n",
  "retry: 50\n\n",
  "data: first\r\n\r\n",
  "id: 1\r\r", // an id-only block: the id is set, nothing fires
  "data: after the id-only block\n\n",
  "event: story\ndata: line one\ndata:line two\ndata\n\n",
  "id: bad\0id\ndata: an id with NUL is ignored\n\n",
  "retry: 12x\nunknown: field\ndata: ignored fields\n\n",
  "event:\ndata:  an empty event name, two spaces\n\n",
  "data: split CRLF\r",
  "\n\r\n",
  Buffer.from("data: é😀", "utf8").subarray(0, 9), // "data: " and half of é
  Buffer.concat([Buffer.from("data: é😀", "utf8").subarray(9), Buffer.from("\n\nid\ndata: the id emptied\n\n")]),
  "id: 2\nevent: last\ndata: the last whole event\n\n",
  "data: cut off by the end",
];
const TYPES = ["message", "story", "last"];

let server: http.Server;
let url: string;
let chromium: HeadlessChromium;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url !== "/stream") {
      res.setHeader("Content-Type", "text/html");
      res.end("<!doctype html><title>test client</title>");
      return;
    }
    // The browser comes back after the end with its Last-Event-ID: 204 stops it.
    if (req.headers["last-event-id"] !== undefined) {
      res.statusCode = 204;
      res.end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    let at = 0;
    const next = (): void => {
      if (at === WRITES.length) {
        res.end();
        return;
      }
      res.write(WRITES[at]!);
      at += 1;
      setTimeout(next, 5);
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("openEventStream and Chromium's EventSource", () => {
  it("read the same events, with the same type, data and lastEventId, from the same awkward bytes", async () => {
    const page = await chromium.newPage();
    await page.goto(`${url}/`);
    const inBrowser = await page.evaluate(
      (types) =>
        new Promise<{ event: string; data: string; id: string }[]>((resolve) => {
          const seen: { event: string; data: string; id: string }[] = [];
          const source = new EventSource("/stream");
          for (const type of types) {
            source.addEventListener(type, (event) => {
              const message = event as MessageEvent<string>;
              seen.push({ event: message.type, data: message.data, id: message.lastEventId });
            });
          }
          source.onerror = () => {
            if (source.readyState === EventSource.CLOSED) resolve(seen);
          };
        }),
      TYPES,
    );

    const stream = await openEventStream(server, "/stream");
    const ours = [];
    for await (const event of stream.events) ours.push(event);
    await stream.close();

    expect(ours).toEqual(inBrowser);
    expect(ours.map((event) => event.data)).toEqual([
      "first",
      "after the id-only block",
      "line one\nline two\n",
      "an id with NUL is ignored",
      "ignored fields",
      " an empty event name, two spaces",
      "split CRLF",
      "é😀",
      "the id emptied",
      "the last whole event",
    ]);
    expect(ours.map((event) => event.id)).toEqual(["", "1", "1", "1", "1", "1", "1", "1", "", "2"]);
    expect(stream.retry).toBe(50);
  });
});
