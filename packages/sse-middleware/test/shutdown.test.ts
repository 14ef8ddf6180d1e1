import compression from "compression";
import express from "express";
import http from "node:http";
import { describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { Arrivals, listen, nextTurn, protocols, request, withSse } from "sse-testkit/http";

/**
 * Open sockets and servers by kind, to compare before and after. (Timers are
 * left out: Node keeps its own per socket, and the library's are unref'd.)
 */
function openHandles(): string[] {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith("TCP")).sort();
}

/**
 * The handles open now that were not open before (counted, not just named),
 * once closing sockets have finished closing (bounded in turns, not timed).
 */
async function handlesLeftSince(before: string[]): Promise<string[]> {
  let left: string[] = [];
  for (let turn = 0; turn < 200; turn += 1) {
    left = openHandles();
    for (const handle of before) {
      const at = left.indexOf(handle);
      if (at !== -1) left.splice(at, 1);
    }
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return left;
}

describe.each(protocols)("sse().close() over %s: ending every stream for server shutdown", (protocol) => {
  it("delivers every last event, then a jittered retry and the end of each stream, and leaves no handle open", async () => {
    const before = openHandles();
    const events = sse({ keepAlive: 60_000 });
    const channel = createChannel({ history: 100 });
    const controllers: SseController[] = [];
    const server = await listen(
      withSse(events, (_req, res) => {
        channel.subscribe(res.sse);
        controllers.push(res.sse);
      }),
      { protocol },
    );
    const clients = await Promise.all(Array.from({ length: 20 }, () => server.request("/events")));
    expect(events.size).toBe(20);

    for (let i = 1; i <= 100; i += 1) channel.publish(`last words ${i}`);
    await events.close({ retryWindow: 1000 });

    expect(events.size).toBe(0);
    expect(controllers.every((controller) => controller.closed)).toBe(true);
    const retries: number[] = [];
    for (const client of clients) {
      const body = await client.ended;
      expect(client.events.map((e) => e.data)).toEqual(Array.from({ length: 100 }, (_, i) => `last words ${i + 1}`));
      const retry = /\nretry: (\d+)\n\n$/.exec(body);
      expect(retry, "the stream ends with a retry").not.toBeNull();
      retries.push(Number(retry![1]));
    }
    expect(Math.max(...retries)).toBeLessThan(1000);
    // Spread out, not one instant for everyone.
    expect(new Set(retries).size).toBeGreaterThan(1);

    await server.close();
    expect(await handlesLeftSince(before)).toEqual([]);
  });

  it("ends a stream that opens after close() at once, with a retry, so a client that comes back can't hold up the shutdown", async () => {
    const events = sse({ keepAlive: false });
    const channel = createChannel();
    const server = await listen(withSse(events, (_req, res) => channel.subscribe(res.sse)), { protocol });
    const early = await server.request("/");
    await events.close({ retryWindow: 1000 });
    await early.ended;
    // The keep-alive connection is still served: the client comes straight back.
    const late = await server.request("/");
    const body = await late.ended;
    expect(body).toMatch(/^retry: \d+\n\n$/);
    expect(Number(/retry: (\d+)/.exec(body)![1])).toBeLessThan(1000);
    expect(events.size).toBe(0);
    expect(channel.size).toBe(0);
    await server.close();
  });

  it("with retryWindow 0, ends streams without a retry", async () => {
    const events = sse();
    const server = await listen(withSse(events, (_req, res) => res.sse.send("bye?")), { protocol });
    const client = await server.request("/");
    await client.waitFor((text) => text.includes("bye?"));
    await events.close({ retryWindow: 0 });
    expect(await client.ended).toBe("data: bye?\n\n");
    await server.close();
  });

  it("resolves with a client that stopped reading: the readers get every event, the stalled one is cut", async () => {
    const events = sse({ keepAlive: false });
    const channel = createChannel();
    const arrivals = new Arrivals<SseController>();
    const server = await listen(
      withSse(events, (_req, res) => {
        channel.subscribe(res.sse);
        arrivals.push(res.sse);
      }),
      { protocol },
    );
    const stalled = await server.request("/");
    await arrivals.atLeast(1);
    stalled.pause();
    const stalledController = arrivals.items[0]!;
    const readers = await Promise.all(Array.from({ length: 3 }, () => server.request("/")));
    await arrivals.atLeast(4);
    const connections = (): Promise<number> =>
      new Promise((resolve, reject) => server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    const connectionsBefore = await connections();

    // Publish until the stalled client holds 300 KB the server could not send
    // (past whatever the connection's buffers and windows take in).
    const payload = "s".repeat(10_000);
    let published = 0;
    while (stalledController.bufferedBytes < 300_000 && published < 5_000) {
      for (let i = 0; i < 5; i += 1, published += 1) channel.publish(payload, { event: "last" });
      await nextTurn();
    }
    expect(stalledController.bufferedBytes).toBeGreaterThanOrEqual(300_000);
    channel.publish("the very last", { event: "last" });
    published += 1;

    await events.close({ retryWindow: 0 });

    expect(events.size).toBe(0);
    // The server let go of the stalled client's connection itself, though
    // that client still reads nothing.
    await expect.poll(connections, { timeout: 5000 }).toBeLessThan(connectionsBefore);
    for (const reader of readers) {
      await reader.ended;
      expect(reader.events).toHaveLength(published);
      expect(reader.events.at(-1)?.data).toBe("the very last");
    }
    stalled.resume();
    await stalled.closed;
    await expect(stalled.ended).rejects.toThrow();
    expect(stalled.events.length).toBeLessThan(published);
    await server.close();
  }, 20_000);
});

describe("sse().close() called again", () => {
  it("while the first call still waits for a stalled client, resolves with it, not before", async () => {
    const events = sse({ keepAlive: false });
    const arrivals = new Arrivals<SseController>();
    const server = await listen(
      withSse(events, (_req, res) => {
        arrivals.push(res.sse);
        res.sse.send("hello");
      }),
    );
    const stalled = await server.request("/");
    await arrivals.atLeast(1);
    stalled.pause();
    const stream = arrivals.items[0]!;
    // Past whatever the connection's buffers take: the stream cannot finish until the client reads.
    for (let round = 0; round < 100 && stream.bufferedBytes < 300_000; round += 1) {
      stream.send("s".repeat(100_000));
      await nextTurn();
    }
    expect(stream.bufferedBytes).toBeGreaterThanOrEqual(300_000);
    const settled: string[] = [];
    const first = events.close({ retryWindow: 0 }).then(() => settled.push("first"));
    const second = events.close({ retryWindow: 0 }).then(() => settled.push("second"));
    await Promise.all([first, second]);
    expect(settled).toEqual(["first", "second"]);
    stalled.resume();
    await stalled.closed;
    await server.close();
  }, 20_000);
});

describe("sse().close() options", () => {
  it("rejects a bad retryWindow with a TypeError", async () => {
    await expect(sse().close({ retryWindow: -1 })).rejects.toThrow(/retryWindow must be a non-negative integer/);
    await expect(sse().close({ window: 5 } as never)).rejects.toThrow(TypeError);
  });

  it("resolves at once when no stream is open", async () => {
    await expect(sse().close()).resolves.toBeUndefined();
  });
});

describe("behind the compression middleware", () => {
  it("is left uncompressed (no-transform) and each event arrives as it is sent", async () => {
    const channel = createChannel();
    let subscribed!: () => void;
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    const app = express();
    app.use(compression({ threshold: 0 }));
    app.get("/events", sse(), (_req, res) => {
      channel.subscribe(res.sse);
      subscribed();
    });
    app.get("/json", (_req, res) => {
      res.json({ compressed: "x".repeat(2000) });
    });
    const server = await listen(app);
    // The middleware is live: an ordinary response is gzipped.
    const json = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${server.url}/json`, { headers: { "Accept-Encoding": "gzip" } }, resolve).on("error", reject);
    });
    expect(json.headers["content-encoding"]).toBe("gzip");
    json.resume();

    const stream = await request(`${server.url}/events`, { headers: { "Accept-Encoding": "gzip" } });
    expect(stream.headers["content-encoding"]).toBeUndefined();
    expect(stream.headers["content-type"]).toBe("text/event-stream");
    await ready;
    for (const word of ["first", "second"]) {
      channel.publish(word);
      await stream.waitFor((text) => text.includes(`data: ${word}\n\n`));
    }
    expect(stream.text()).toBe("id: 1\ndata: first\n\nid: 2\ndata: second\n\n");
    stream.destroy();
    await server.close();
  });
});
