import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { aborted, Arrivals, listen, nextTurn, rawGet, request, type TestServer } from "./http-harness.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const MAX_BUFFERED = 256 * 1024;
const EVENT_SIZE = 10_000;
const EVENTS = 3000; // 30 MB: more than loopback socket buffers can hide
const PER_TICK = 10;

/** Routes `path` to `handle`, recording each request's controller as it arrives. */
function controllersOf(app: express.Express, path: string, handle: (sse: SseController) => void) {
  const arrivals = new Arrivals<SseController>();
  app.get(path, (_req, res) => {
    handle(res.sse);
    arrivals.push(res.sse);
  });
  return { controllers: arrivals.items, count: (n: number) => arrivals.atLeast(n) };
}

describe("a client that stops reading", () => {
  it("is cut once its unsent bytes pass maxBufferedBytes, while the others get everything, and it resumes from history", async () => {
    const channel = createChannel({ history: EVENTS });
    const app = express();
    app.use(sse({ maxBufferedBytes: MAX_BUFFERED, keepAlive: false }));
    const { controllers, count } = controllersOf(app, "/events", (stream) => channel.subscribe(stream));
    server = await listen(app);
    const url = `${server.url}/events`;

    const slow = await rawGet(url);
    await count(1);
    slow.socket.pause(); // never reads again, until we say so
    const slowController = controllers[0]!;
    const fast = await Promise.all([request(url), request(url), request(url)]);
    await count(4);

    let largestBacklog = 0;
    const payload = "x".repeat(EVENT_SIZE);
    for (let published = 0; published < EVENTS; ) {
      for (let i = 0; i < PER_TICK; i += 1, published += 1) channel.publish(payload);
      if (!slowController.closed) largestBacklog = Math.max(largestBacklog, slowController.bufferedBytes);
      await nextTurn();
    }

    for (const client of fast) {
      await client.waitFor(() => client.events.at(-1)?.id === String(EVENTS));
      expect(client.events.map((e) => e.id)).toEqual(Array.from({ length: EVENTS }, (_, i) => String(i + 1)));
    }
    // The server held at most the bound plus one tick's events for it, then let go.
    expect(slowController.closed).toBe(true);
    expect(largestBacklog).toBeLessThanOrEqual(MAX_BUFFERED + PER_TICK * (EVENT_SIZE + 20));
    expect(channel.size).toBe(3);

    // What the slow client got before the cut, then a reconnect with its last id.
    slow.socket.resume();
    await new Promise((resolve) => slow.socket.once("close", resolve));
    const before = slow.bodyChunks().join("");
    const seen = [...before.matchAll(/^id: (\d+)\ndata: x+\n\n/gm)].map((m) => Number(m[1]));
    expect(seen.length).toBeLessThan(EVENTS);
    const resumed = await request(url, { headers: { "Last-Event-ID": String(seen.at(-1) ?? 0) } });
    await resumed.waitFor(() => resumed.events.at(-1)?.id === String(EVENTS));
    const all = [...seen, ...resumed.events.filter((e) => e.event !== "reset").map((e) => Number(e.id))];
    expect(all).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    for (const client of [...fast, resumed]) client.destroy();
  }, 60_000);

  it("still receives one event larger than the bound, if it reads", async () => {
    const channel = createChannel();
    const app = express();
    app.use(sse({ maxBufferedBytes: 1024, keepAlive: false }));
    const { count } = controllersOf(app, "/events", (stream) => channel.subscribe(stream));
    server = await listen(app);
    const client = await request(`${server.url}/events`);
    await count(1);
    const big = "b".repeat(200_000);
    channel.publish(big);
    await client.waitFor(() => client.events.length === 1);
    expect(client.events[0]!.data).toBe(big);
    client.destroy();
  });
});

describe("pipe", () => {
  it("sends each item of an async iterable as an event, then resolves without closing", async () => {
    let piped: Promise<void> | undefined;
    const app = express();
    app.get("/", sse(), (_req, res) => {
      async function* ticks() {
        for (let i = 1; i <= 3; i += 1) yield { i };
      }
      piped = res.sse.pipe(ticks(), { event: "tick" }).then(() => {
        res.sse.send("after");
        res.sse.close();
      });
    });
    server = await listen(app);
    const client = await request(`${server.url}/`);
    expect(await client.ended).toBe(
      'event: tick\ndata: {"i":1}\n\nevent: tick\ndata: {"i":2}\n\nevent: tick\ndata: {"i":3}\n\ndata: after\n\n',
    );
    await piped;
  });

  it("waits while the client is behind instead of buffering, and goes on when it reads again", async () => {
    const total = 3000;
    let pulled = 0;
    let controller: SseController | undefined;
    let piped: Promise<void> | undefined;
    const app = express();
    app.get("/", sse({ maxBufferedBytes: MAX_BUFFERED, keepAlive: false }), (_req, res) => {
      controller = res.sse;
      async function* items() {
        for (let i = 1; i <= total; i += 1) {
          pulled = i;
          yield `${i}:${"p".repeat(EVENT_SIZE)}`;
        }
      }
      piped = res.sse.pipe(items()).then(() => res.sse.close());
    });
    server = await listen(app);
    const client = await rawGet(`${server.url}/`);
    client.socket.pause();
    // Let the pipe run until it stops pulling: the client is not reading.
    let last = -1;
    while (pulled !== last) {
      last = pulled;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pulled).toBeLessThan(total);
    expect(controller!.closed).toBe(false);
    expect(controller!.bufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED + EVENT_SIZE + 20);
    client.socket.resume();
    await piped;
    await client.ended;
    const ids = [...client.bodyChunks().join("").matchAll(/^data: (\d+):p+$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  }, 60_000);

  it("stops pulling when the client goes away, and lets the source clean up", async () => {
    let cleanedUp = false;
    let controller: SseController | undefined;
    let piped: Promise<void> | undefined;
    const app = express();
    app.get("/", sse(), (_req, res) => {
      controller = res.sse;
      async function* forever() {
        try {
          for (let i = 1; ; i += 1) {
            await new Promise((resolve) => setImmediate(resolve));
            yield i;
          }
        } finally {
          cleanedUp = true;
        }
      }
      piped = res.sse.pipe(forever());
    });
    server = await listen(app);
    const client = await request(`${server.url}/`);
    await client.waitFor(() => client.events.length >= 3);
    client.destroy();
    await aborted(controller!.signal);
    await piped;
    await new Promise((resolve) => setImmediate(resolve));
    expect(cleanedUp).toBe(true);
  });

  it("rejects with a TypeError for something that is not iterable, or a bad event name", async () => {
    const errors: unknown[] = [];
    const app = express();
    app.get("/", sse(), async (_req, res) => {
      await res.sse.pipe(42 as never).catch((error: unknown) => errors.push(error));
      await res.sse.pipe([1], { event: "a\nb" }).catch((error: unknown) => errors.push(error));
      res.status(500).end(`headersSent=${res.headersSent}`);
    });
    server = await listen(app);
    expect(await (await request(`${server.url}/`)).ended).toBe("headersSent=false");
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(TypeError);
  });
});
