// sse-middleware/testing: openEventStream against real servers of every kind.
import { execFile } from "node:child_process";
import http from "node:http";
import http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse } from "sse-middleware";
import { openEventStream, type EventStream, type ServerSentEvent } from "sse-middleware/testing";
import { selfSignedCertificate, withSse } from "sse-testkit/http";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));

const streams: EventStream[] = [];
const servers: { close(callback: () => void): void }[] = [];
afterEach(async () => {
  await Promise.all(streams.splice(0).map((stream) => stream.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

async function open(...args: Parameters<typeof openEventStream>): Promise<EventStream> {
  const stream = await openEventStream(...args);
  streams.push(stream);
  return stream;
}

/** An app whose `/news` replays a channel, `/ticks` never ends and `/three` sends three events and ends. */
function newsApp() {
  const news = createChannel({ history: 100 });
  const app = express();
  app.get("/news", sse(), (_req, res) => void news.subscribe(res.sse));
  app.get("/ticks", sse({ keepAlive: 20 }), (_req, res) => void res.sse.open());
  app.get("/three", sse(), (_req, res) => {
    for (const n of [1, 2, 3]) res.sse.send({ n }, { id: String(n), event: "count" });
    res.sse.close();
  });
  return { app, news };
}

describe("openEventStream", () => {
  it("reads a route of an Express app as a browser would, resuming after Last-Event-ID", async () => {
    const { app, news } = newsApp();
    for (const title of ["a", "b", "c"]) news.publish({ title }, { event: "story" });
    const stream = await open(app, "/news", { headers: { "Last-Event-ID": "1" } });
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream");
    expect(await stream.next()).toEqual({ event: "story", data: '{"title":"b"}', id: "2" });
    news.publish({ title: "d" }, { event: "story" });
    expect((await stream.take(2)).map((event) => [event.id, event.data])).toEqual([
      ["3", '{"title":"c"}'],
      ["4", '{"title":"d"}'],
    ]);
    expect(stream.lastEventId).toBe("4");
  });

  it("serves a plain request listener on an ephemeral port, and stops it on close()", async () => {
    let port = 0;
    const events = sse({ retry: 1234 });
    const stream = await openEventStream(
      withSse(events, (req, res) => {
        port = req.socket.localPort!;
        res.sse.send("hi");
      }),
      "/",
    );
    expect(await stream.next()).toEqual({ event: "message", data: "hi", id: "" });
    expect(stream.retry).toBe(1234);
    await stream.close();
    expect(stream.ended).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    await stream.close(); // idempotent
  });

  it("uses a server that is already listening, and leaves it listening", async () => {
    const server = http.createServer(newsApp().app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const stream = await openEventStream(server, "/three");
    const received = [];
    for await (const event of stream.events) received.push(event);
    expect(received).toEqual([1, 2, 3].map((n) => ({ event: "count", data: JSON.stringify({ n }), id: String(n) })));
    expect(stream.ended).toBe(true);
    await expect(stream.next()).rejects.toThrow(/the stream ended while waiting for the next event of GET \/three/);
    await stream.close();
    expect(server.listening).toBe(true);
  });

  it("starts a server that is not listening yet, HTTP/2 in clear text and over TLS", async () => {
    const events = sse();
    const handler = withSse(events, (_req, res) => void res.sse.send("over h2", { id: "h2" }));
    const h2c = http2.createServer(handler as never);
    const h2 = http2.createSecureServer(selfSignedCertificate(), handler as never);
    for (const server of [h2c, h2]) {
      const stream = await open(server, "/");
      expect(stream.status).toBe(200);
      expect(stream.headers["content-type"]).toBe("text/event-stream");
      expect(stream.headers).not.toHaveProperty(":status");
      expect(await stream.next()).toEqual({ event: "message", data: "over h2", id: "h2" });
      await stream.close();
      expect(server.listening).toBe(false);
    }
  });

  it("takes the events up to a marker with takeUntil(), and fails with what came when the marker does not", async () => {
    const { app, news } = newsApp();
    const stream = await open(app, "/news", { timeout: 300 });
    for (const data of ["a", "b", "end", "after"]) news.publish(data);
    const until = await stream.takeUntil((event) => event.data === "end");
    expect(until.map((event) => event.data)).toEqual(["a", "b", "end"]);
    // Calls wait their turn: the next one starts after the marker.
    expect(await stream.next()).toMatchObject({ data: "after" });
    // Each event is looked at once, however many times the wait wakes.
    const seen: string[] = [];
    const waiting = stream.takeUntil((event) => {
      seen.push(event.data);
      return event.data === "stop";
    });
    news.publish("x");
    await expect.poll(() => seen).toEqual(["x"]);
    news.publish("y");
    news.publish("stop");
    expect((await waiting).map((event) => event.data)).toEqual(["x", "y", "stop"]);
    expect(seen).toEqual(["x", "y", "stop"]);
    // No marker in time: the message says so, and the events are still there.
    news.publish("z");
    await expect(stream.takeUntil((event) => event.data === "never")).rejects.toThrow(
      /^openEventStream: no event within 300 ms while waiting for an event takeUntil\(\) accepts \(1 there, none accepted\) of GET \/news[\s\S]*"data":"z"/,
    );
    expect(await stream.next()).toMatchObject({ data: "z" });
    // A predicate that throws rejects with its error; the stream ending first rejects as next() does.
    news.publish("boom");
    await expect(
      stream.takeUntil(() => {
        throw new Error("predicate bug");
      }),
    ).rejects.toThrow("predicate bug");
    const three = await open(app, "/three");
    await expect(three.takeUntil((event) => event.data === "never")).rejects.toThrow(/the stream ended while waiting for an event takeUntil\(\) accepts \(3 there/);
    await expect(stream.takeUntil("end" as never)).rejects.toThrow(/takeUntil\(\) predicate must be a function, got "end"/);
  });

  it("tells every event received so far, taken or not, without waiting or taking", async () => {
    const { app, news } = newsApp();
    const stream = await open(app, "/news");
    expect(stream.received).toEqual([]);
    for (const data of ["a", "b", "c"]) news.publish(data);
    await stream.takeUntil((event) => event.data === "a");
    await expect.poll(() => stream.received.length).toBe(3);
    expect(stream.received).toEqual([
      { event: "message", data: "a", id: "1" },
      { event: "message", data: "b", id: "2" },
      { event: "message", data: "c", id: "3" },
    ]);
    // A copy: changing it changes nothing the stream holds, and reading it took nothing.
    (stream.received as ServerSentEvent[]).length = 0;
    expect(stream.received).toHaveLength(3);
    expect(await stream.next()).toMatchObject({ data: "b" });
    await stream.close();
    expect(stream.received.map((event) => event.data)).toEqual(["a", "b", "c"]);
  });

  it("tells the last event id an id-only block set, with no event fired", async () => {
    const { app, news } = newsApp();
    news.publish("before");
    const stream = await open(app, "/news");
    await expect.poll(() => stream.lastEventId).toBe("1");
    news.publish("after");
    expect(await stream.next()).toEqual({ event: "message", data: "after", id: "2" });
  });

  it("fails with what arrived so far, not a hang, when a stream that never ends sends no event in time", async () => {
    const stream = await open(newsApp().app, "/ticks", { timeout: 300 });
    const failure = await stream.next().then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/^openEventStream: no event within 300 ms while waiting for the next event of GET \/ticks \(status 200\)\./);
    expect(failure?.message).toContain("Events received so far (0, 0 taken): []");
    expect(failure?.message).toMatch(/Last bytes received: "(:\\n\\n)+"/); // heartbeats came, events did not
    // take(n) says how many of them were there.
    const { app, news } = newsApp();
    const partial = await open(app, "/news", { timeout: 300 });
    news.publish("only one");
    await expect(partial.take(2)).rejects.toThrow(/waiting for 2 events \(1 there\) of GET \/news[\s\S]*"data":"only one"/);
    // The event that was there is still there.
    expect(await partial.next()).toMatchObject({ data: "only one" });
  });

  it("fails when no response comes in time", async () => {
    const silent = http.createServer(() => {});
    await expect(openEventStream(silent, "/", { timeout: 200 })).rejects.toThrow(
      "openEventStream: no response within 200 ms to GET /",
    );
    expect(silent.listening).toBe(false);
  });

  it("rejects a bad target, path or option with a TypeError naming it", async () => {
    const { app } = newsApp();
    await expect(openEventStream("http://x" as never, "/")).rejects.toThrow(/target must be an app, a request listener or a server, got "http:\/\/x"/);
    await expect(openEventStream(app, "news")).rejects.toThrow(/path must be a string starting with "\/", got "news"/);
    await expect(openEventStream(app, "/", { timeout: 0 })).rejects.toThrow(/timeout must be a positive integer of milliseconds, got 0/);
    await expect(openEventStream(app, "/", { headers: { "Last-Event-ID": 7 } } as never)).rejects.toThrow(/header "Last-Event-ID" must be a string, got 7/);
    await expect(openEventStream(app, "/", { timout: 1 } as never)).rejects.toThrow(/option "timout" is unknown/);
  });
});

describe("openEventStream in node's own test runner", () => {
  it("passes a route's test, and fails an endless stream's with the timeout message, without hanging", async () => {
    const result = await run(process.execPath, ["--test", "--test-reporter=tap", "test/runners/node-test.mjs"], {
      cwd: packageDir,
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(result.code).toBe(1); // one test fails, on purpose
    expect(result.stdout).toMatch(/^ok \d+ - a route's three events$/m);
    expect(result.stdout).toMatch(/^not ok \d+ - a stream that never ends$/m);
    expect(result.stdout).toContain("openEventStream: no event within 200 ms while waiting for the next event of GET /endless");
    expect(result.stdout).toMatch(/^# pass 1$/m);
    expect(result.stdout).toMatch(/^# fail 1$/m);
  }, 60_000);
});
