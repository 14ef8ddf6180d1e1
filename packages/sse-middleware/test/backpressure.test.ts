import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import {
  aborted,
  Arrivals,
  listen,
  nextTurn,
  protocols,
  withSse,
  type SseResponse,
  type TestServer,
} from "sse-testkit/http";

let server: Pick<TestServer, "close"> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const MAX_BUFFERED = 256 * 1024;
const EVENT_SIZE = 10_000;
const EVENTS = 3000; // 30 MB: more than loopback socket buffers can hide
const PER_TICK = 10;

describe.each(protocols)("over %s", (protocol) => {
  /** Serves `handle` behind `sse(options)`, recording each request's controller as it arrives. */
  async function serve(options: Parameters<typeof sse>[0], handle: (res: SseResponse) => void) {
    const arrivals = new Arrivals<SseController>();
    const testServer = await listen(
      withSse(sse(options), (_req, res) => {
        handle(res);
        arrivals.push(res.sse);
      }),
      { protocol },
    );
    server = testServer;
    return { testServer, controllers: arrivals.items, count: (n: number) => arrivals.atLeast(n) };
  }

  describe("a client that stops reading", () => {
    it("is cut once its unsent bytes pass maxBufferedBytes, while the others get everything, and it resumes from history", async () => {
      const channel = createChannel({ history: EVENTS });
      const { testServer, controllers, count } = await serve({ maxBufferedBytes: MAX_BUFFERED, keepAlive: false }, (res) =>
        channel.subscribe(res.sse),
      );

      const slow = await testServer.request("/");
      await count(1);
      slow.pause(); // never reads again, until we say so
      const slowController = controllers[0]!;
      const fast = await Promise.all([testServer.request("/"), testServer.request("/"), testServer.request("/")]);
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
      slow.resume();
      await slow.closed;
      await expect(slow.ended).rejects.toThrow();
      const seen = slow.events.map((e) => Number(e.id));
      expect(seen.length).toBeLessThan(EVENTS);
      const resumed = await testServer.request("/", { headers: { "Last-Event-ID": String(seen.at(-1) ?? 0) } });
      await resumed.waitFor(() => resumed.events.at(-1)?.id === String(EVENTS));
      const all = [...seen, ...resumed.events.filter((e) => e.event !== "reset").map((e) => Number(e.id))];
      expect(all).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
      for (const client of [...fast, resumed]) client.destroy();
    }, 60_000);

    it("still receives one event larger than the bound, if it reads", async () => {
      const channel = createChannel();
      const { testServer, count } = await serve({ maxBufferedBytes: 1024, keepAlive: false }, (res) =>
        channel.subscribe(res.sse),
      );
      const client = await testServer.request("/");
      await count(1);
      const big = "b".repeat(200_000);
      channel.publish(big);
      await client.waitFor(() => client.events.length === 1);
      expect(client.events[0]!.data).toBe(big);
      client.destroy();
    });
  });

  describe("a client that reads as fast as it can", () => {
    it("gets every item of a long pipe, never cut", async () => {
      const total = 4000;
      const item = "k".repeat(1024);
      let piped: Promise<void> | undefined;
      const { testServer } = await serve({ keepAlive: false }, (res) => {
        function* items() {
          for (let i = 1; i <= total; i += 1) yield `${i}:${item}`;
        }
        piped = res.sse.pipe(items()).then(() => res.sse.close());
      });
      const client = await testServer.request("/");
      await client.ended;
      await piped;
      expect(client.events.map((e) => e.data)).toEqual(Array.from({ length: total }, (_, i) => `${i + 1}:${item}`));
    }, 60_000);

    it("gets every kept event of a long replay, then live ones, never cut", async () => {
      const kept = 5000;
      const channel = createChannel({ history: kept });
      for (let i = 1; i <= kept; i += 1) channel.publish("r".repeat(1024));
      const { testServer, count } = await serve({ keepAlive: false }, (res) => channel.subscribe(res.sse));
      const client = await testServer.request("/", { headers: { "Last-Event-ID": "0" } });
      await count(1);
      channel.publish("live");
      await client.waitFor(() => client.events.at(-1)?.data === "live");
      const ids = client.events.filter((e) => e.event !== "reset").map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: kept + 1 }, (_, i) => i + 1));
      client.destroy();
    }, 60_000);
  });

  describe("an event larger than maxBufferedBytes", () => {
    const BIG = 50 * 1024 * 1024;
    const SMALL_EVENTS = 200;

    /** Sends one 50 MB event, then, 10 ms later, small events over several ticks. */
    function bigThenSmall(stream: SseController, small: number, then: () => void): void {
      stream.send("B".repeat(BIG), { event: "big" });
      setTimeout(async () => {
        for (let i = 1; i <= small && !stream.closed; i += 1) {
          stream.send(String(i));
          if (i % 10 === 0) await nextTurn();
        }
        then();
      }, 10);
    }

    it("reaches a client that reads, intact, and so does every small event after it, in order", async () => {
      const { testServer } = await serve({ keepAlive: false }, (res) =>
        bigThenSmall(res.sse, SMALL_EVENTS, () => res.sse.close()),
      );
      const client = await testServer.request("/");
      await client.ended;
      expect(client.events).toHaveLength(1 + SMALL_EVENTS);
      const [big, ...small] = client.events;
      expect(big!.event).toBe("big");
      expect(big!.data.length).toBe(BIG);
      expect(/^B+$/.test(big!.data)).toBe(true);
      expect(small.map((e) => e.data)).toEqual(Array.from({ length: SMALL_EVENTS }, (_, i) => String(i + 1)));
    }, 60_000);

    it("does not save a client that stops reading: it is cut once what waits behind the event passes the bound", async () => {
      const max = 256 * 1024;
      // Small events worth three times the bound: more than may wait behind the big one.
      const small = Math.ceil((3 * max) / "data: 100\n\n".length);
      let largestBacklog = 0;
      const { testServer, controllers, count } = await serve({ maxBufferedBytes: max, keepAlive: false }, (res) => res.sse.open());
      const client = await testServer.request("/");
      client.pause();
      await count(1);
      const stream = controllers[0]!;
      const cut = new Promise<void>((resolve) => stream.signal.addEventListener("abort", () => resolve()));
      const sent = new Promise<void>((resolve) => bigThenSmall(stream, small, resolve));
      const watch = setInterval(() => {
        if (!stream.closed) largestBacklog = Math.max(largestBacklog, stream.bufferedBytes);
      }, 1);
      await cut;
      await sent;
      clearInterval(watch);
      expect(stream.closed).toBe(true);
      // The event itself, plus at most the bound and one tick's small events waiting behind it.
      expect(largestBacklog).toBeLessThanOrEqual(BIG + max + 10 * 20);
      client.resume();
      await client.closed;
      await expect(client.ended).rejects.toThrow();
    }, 60_000);
  });

  describe("pipe", () => {
    it("sends each item of an async iterable as an event, then resolves without closing", async () => {
      let piped: Promise<void> | undefined;
      const { testServer } = await serve({}, (res) => {
        async function* ticks() {
          for (let i = 1; i <= 3; i += 1) yield { i };
        }
        piped = res.sse.pipe(ticks(), { event: "tick" }).then(() => {
          res.sse.send("after");
          res.sse.close();
        });
      });
      const client = await testServer.request("/");
      expect(await client.ended).toBe(
        'event: tick\ndata: {"i":1}\n\nevent: tick\ndata: {"i":2}\n\nevent: tick\ndata: {"i":3}\n\ndata: after\n\n',
      );
      await piped;
    });

    it("waits while the client is behind instead of buffering, and goes on when it reads again", async () => {
      const total = 3000;
      let pulled = 0;
      let piped: Promise<void> | undefined;
      const { testServer, controllers, count } = await serve({ maxBufferedBytes: MAX_BUFFERED, keepAlive: false }, (res) => {
        async function* items() {
          for (let i = 1; i <= total; i += 1) {
            pulled = i;
            yield `${i}:${"p".repeat(EVENT_SIZE)}`;
          }
        }
        piped = res.sse.pipe(items()).then(() => res.sse.close());
      });
      const client = await testServer.request("/");
      client.pause();
      await count(1);
      const controller = controllers[0]!;
      // Let the pipe run until it stops pulling: the client is not reading.
      let last = -1;
      while (pulled !== last) {
        last = pulled;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(pulled).toBeLessThan(total);
      expect(controller.closed).toBe(false);
      expect(controller.bufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED + EVENT_SIZE + 20);
      client.resume();
      await piped;
      await client.ended;
      const ids = client.events.map((e) => Number(/^(\d+):p+$/.exec(e.data)?.[1]));
      expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }, 60_000);

    it("stops pulling when the client goes away, and lets the source clean up", async () => {
      let cleanedUp = false;
      let piped: Promise<void> | undefined;
      const { testServer, controllers } = await serve({}, (res) => {
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
      const client = await testServer.request("/");
      await client.waitFor(() => client.events.length >= 3);
      client.destroy();
      await aborted(controllers[0]!.signal);
      await piped;
      await new Promise((resolve) => setImmediate(resolve));
      expect(cleanedUp).toBe(true);
    });

    it("rejects with a TypeError for something that is not iterable, or a bad event name", async () => {
      const errors: unknown[] = [];
      const { testServer } = await serve({}, (res) => {
        void (async () => {
          await res.sse.pipe(42 as never).catch((error: unknown) => errors.push(error));
          await res.sse.pipe([1], { event: "a\nb" }).catch((error: unknown) => errors.push(error));
          res.statusCode = 500;
          res.end(`headersSent=${res.headersSent}`);
        })();
      });
      expect(await (await testServer.request("/")).ended).toBe("headersSent=false");
      expect(errors).toHaveLength(2);
      for (const error of errors) expect(error).toBeInstanceOf(TypeError);
    });
  });
});
