import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type Channel, type SseController, type SubscribeOptions } from "sse-middleware";
import { openEventStream, type EventStream } from "sse-middleware/testing";
import { aborted, Arrivals, listen, rawGet, request, wrapController, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
const streams: EventStream[] = [];
afterEach(async () => {
  await Promise.all(streams.splice(0).map((stream) => stream.close()));
  await server?.close();
  server = undefined;
});

interface ChannelServer {
  url: string;
  /** Opens the channel's route as a browser would (sse-middleware/testing). */
  open(headers?: Record<string, string>): Promise<EventStream>;
  /** Server-side controllers, in the order clients subscribed. */
  controllers: SseController[];
  /** Resolves once `count` clients have subscribed in total. */
  subscribed(count: number): Promise<void>;
}

async function serveChannel(channel: Channel, options: SubscribeOptions = {}, sseOptions = {}): Promise<ChannelServer> {
  const arrivals = new Arrivals<SseController>();
  const app = express();
  app.get("/events", sse(sseOptions), (_req, res) => {
    channel.subscribe(res.sse, options);
    arrivals.push(res.sse);
  });
  server = await listen(app);
  const { server: listening } = server;
  return {
    url: `${server.url}/events`,
    open: async (headers = {}) => {
      const stream = await openEventStream(listening, "/events", { headers });
      streams.push(stream);
      return stream;
    },
    controllers: arrivals.items,
    subscribed: (count) => arrivals.atLeast(count),
  };
}

describe("createChannel", () => {
  it("rejects bad options with a TypeError naming the value", () => {
    expect(() => createChannel({ history: -1 })).toThrow(/history must be a non-negative integer of events, got -1/);
    expect(() => createChannel({ history: 1.5 })).toThrow(TypeError);
    expect(() => createChannel({ histroy: 5 } as never)).toThrow(/option "histroy" is unknown/);
  });
});

describe("publish", () => {
  it("numbers events 1, 2, 3 when no id is given, and keeps ids users give", () => {
    const channel = createChannel();
    expect(channel.publish("a")).toBe("1");
    expect(channel.publish("b")).toBe("2");
    expect(channel.publish("c", { id: "custom-7" })).toBe("custom-7");
    expect(channel.publish("d")).toBe("4");
  });

  it("serialises each event once however many subscribers it has, and sends them the same bytes", async () => {
    const channel = createChannel();
    const { url, subscribed } = await serveChannel(channel);
    const clients = await Promise.all(Array.from({ length: 5 }, () => request(url)));
    await subscribed(5);
    let serialisations = 0;
    channel.publish({ toJSON: () => (serialisations += 1, { n: 1 }) }, { event: "story" });
    const texts = await Promise.all(clients.map((client) => client.waitFor((text) => text.endsWith("\n\n"))));
    expect(serialisations).toBe(1);
    expect(new Set(texts)).toEqual(new Set(['id: 1\nevent: story\ndata: {"n":1}\n\n']));
    for (const client of clients) client.destroy();
  });

  it("rejects invalid fields and data before anything is kept or sent", async () => {
    const channel = createChannel({ history: 10 });
    expect(() => channel.publish("x", { event: "a\nb" })).toThrow(TypeError);
    expect(() => channel.publish("x", { id: "1\r2" })).toThrow(TypeError);
    expect(() => channel.publish(10n)).toThrow(TypeError);
    expect(() => channel.publish("x", { retry: 5 } as never)).toThrow(/option "retry" is unknown/);
    expect(channel.publish("kept")).toBe("1");
  });
});

describe("subscribe", () => {
  it("delivers live events to every subscriber, and a subscriber leaves when its client goes", async () => {
    const channel = createChannel();
    const { url, subscribed, controllers } = await serveChannel(channel);
    const [a, b] = await Promise.all([request(url), request(url)]);
    await subscribed(2);
    expect(channel.size).toBe(2);
    channel.publish("one");
    await Promise.all([a!.waitFor((t) => t.includes("one")), b!.waitFor((t) => t.includes("one"))]);
    a!.destroy();
    await aborted(controllers[0]!.signal);
    expect(channel.size).toBe(1);
    channel.publish("two");
    expect(await b!.waitFor((t) => t.includes("two"))).toBe("id: 1\ndata: one\n\nid: 2\ndata: two\n\n");
    b!.destroy();
  });

  it("replays the kept events after Last-Event-ID, then goes live", async () => {
    const channel = createChannel({ history: 10 });
    for (const n of [1, 2, 3, 4]) channel.publish(`e${n}`);
    const { open, subscribed } = await serveChannel(channel);
    const client = await open({ "Last-Event-ID": "2" });
    await subscribed(1);
    channel.publish("e5");
    expect((await client.take(3)).map((e) => [e.id, e.data])).toEqual([
      ["3", "e3"],
      ["4", "e4"],
      ["5", "e5"],
    ]);
  });

  it("replays nothing to a client that saw the newest event", async () => {
    const channel = createChannel({ history: 3 });
    channel.publish("a");
    channel.publish("b");
    const { url, subscribed } = await serveChannel(channel);
    const client = await request(url, { headers: { "Last-Event-ID": "2" } });
    await subscribed(1);
    channel.publish("c");
    expect(await client.waitFor((t) => t.includes("c"))).toBe("id: 3\ndata: c\n\n");
    client.destroy();
  });

  it("sends event: reset with the oldest kept id, then the whole window, for an id older than the window", async () => {
    const channel = createChannel({ history: 3 });
    for (const n of [1, 2, 3, 4, 5, 6]) channel.publish(`e${n}`);
    const { url, subscribed } = await serveChannel(channel);
    const client = await request(url, { headers: { "Last-Event-ID": "1" } });
    await subscribed(1);
    await client.waitFor((t) => t.includes("e6"));
    expect(client.text()).toBe("event: reset\ndata: 4\n\nid: 4\ndata: e4\n\nid: 5\ndata: e5\n\nid: 6\ndata: e6\n\n");
    client.destroy();
  });

  it("sends event: reset for an id the channel never issued", async () => {
    const channel = createChannel({ history: 2 });
    channel.publish("a");
    const { open } = await serveChannel(channel);
    const client = await open({ "Last-Event-ID": "from-another-server" });
    // The reset carries no id: the client keeps the one it resumed from until the window's first.
    expect(await client.take(2)).toEqual([
      { event: "reset", data: "1", id: "from-another-server" },
      { event: "message", data: "a", id: "1" },
    ]);
  });

  it("tells a new client the newest id with an id-only block, which sets its Last-Event-ID without firing an event", async () => {
    const channel = createChannel({ history: 5 });
    channel.publish("before");
    const { url, subscribed, open } = await serveChannel(channel);
    const client = await request(url);
    const browser = await open();
    await subscribed(2);
    // As a browser sees it: the id is set, no event fired.
    await expect.poll(() => browser.lastEventId).toBe("1");
    channel.publish("after");
    expect(await client.waitFor((t) => t.includes("after"))).toBe("id: 1\n\nid: 2\ndata: after\n\n");
    expect(client.events.map((e) => e.data)).toEqual(["after"]);
    expect(await browser.next()).toEqual({ event: "message", data: "after", id: "2" });
    client.destroy();
  });

  it("sends only what the filter accepts, replayed or live", async () => {
    const channel = createChannel({ history: 10 });
    channel.publish("x1", { event: "x" });
    channel.publish("y1", { event: "y" });
    const { open, subscribed } = await serveChannel(channel, { filter: (event) => event.event === "y" });
    const client = await open({ "Last-Event-ID": "0" });
    await subscribed(1);
    channel.publish("x2", { event: "x" });
    channel.publish("y2", { event: "y" });
    expect((await client.take(3)).map((e) => [e.event, e.data])).toEqual([
      ["reset", "1"],
      ["y", "y1"],
      ["y", "y2"],
    ]);
  });

  it("stops delivering after unsubscribe", async () => {
    const channel = createChannel();
    let unsubscribe: (() => void) | undefined;
    let controller: SseController | undefined;
    const app = express();
    app.get("/events", sse(), (_req, res) => {
      unsubscribe = channel.subscribe(res.sse);
      controller = res.sse;
      res.sse.send("subscribed");
    });
    server = await listen(app);
    const client = await request(`${server.url}/events`);
    await client.waitFor((t) => t.includes("subscribed"));
    unsubscribe!();
    expect(channel.size).toBe(0);
    channel.publish("missed");
    channel.publish("missed too");
    // Sent after the publishes: had they been delivered, they would come first.
    controller!.send("marker");
    expect(await client.waitFor((t) => t.includes("marker"))).toBe("data: subscribed\n\ndata: marker\n\n");
    client.destroy();
  });
});

describe("close", () => {
  it("ends every subscriber's stream after the events already published, then refuses publishing", async () => {
    const channel = createChannel();
    const { url, subscribed } = await serveChannel(channel);
    const clients = await Promise.all([request(url), request(url)]);
    await subscribed(2);
    channel.publish("last");
    channel.close();
    expect(channel.size).toBe(0);
    for (const client of clients) expect(await client.ended).toBe("id: 1\ndata: last\n\n");
    expect(() => channel.publish("after")).toThrow(/closed channel/);
  });

  it("ends a stream that subscribes after close at once", async () => {
    const channel = createChannel();
    channel.close();
    const { url } = await serveChannel(channel);
    expect(await (await request(url)).ended).toBe("");
  });
});

describe("one write per connection per tick", () => {
  it("delivers a burst of events published in one tick as one HTTP chunk", async () => {
    const channel = createChannel();
    const { url, subscribed } = await serveChannel(channel);
    const clients = await Promise.all([rawGet(url), rawGet(url), rawGet(url)]);
    await subscribed(3);
    const burst = Array.from({ length: 50 }, (_, i) => channel.publish({ i }));
    for (const client of clients) {
      const chunks = await client.waitForChunks((c) => c.join("").includes(`id: ${burst.at(-1)}\n`));
      expect(chunks).toHaveLength(1);
      expect(chunks[0]!.split("\n\n").filter(Boolean)).toHaveLength(50);
      client.socket.destroy();
    }
  });

  it("keeps a stream's own sends and channel events in the order they were made, in one chunk", async () => {
    const channel = createChannel();
    let controller: SseController | undefined;
    const app = express();
    app.get("/events", sse(), (_req, res) => {
      controller = res.sse;
      channel.subscribe(res.sse);
    });
    server = await listen(app);
    const client = await rawGet(`${server.url}/events`);
    await new Promise<void>((resolve) => {
      const poll = () => (controller ? resolve() : setImmediate(poll));
      poll();
    });
    channel.publish("a");
    controller!.send("own");
    controller!.comment("note");
    channel.publish("b");
    const chunks = await client.waitForChunks((c) => c.join("").includes("data: b"));
    expect(chunks).toEqual(["id: 1\ndata: a\n\ndata: own\n\n: note\n\nid: 2\ndata: b\n\n"]);
    client.socket.destroy();
  });
});

describe("one pass per tick", () => {
  /** A server whose handler gives the test each subscriber's controller; resolves with the first one. */
  async function oneSubscriber(
    subscribe: (sse: SseController) => void,
  ): Promise<{ url: string; open: () => Promise<EventStream>; controller: () => Promise<SseController> }> {
    let controller: SseController | undefined;
    const app = express();
    app.get("/events", sse(), (_req, res) => {
      controller = res.sse;
      subscribe(res.sse);
    });
    server = await listen(app);
    const { server: listening } = server;
    return {
      url: `${server.url}/events`,
      // Opens the route as a browser would (sse-middleware/testing).
      open: async () => {
        const stream = await openEventStream(listening, "/events");
        streams.push(stream);
        return stream;
      },
      controller: () =>
        new Promise((resolve) => {
          const poll = () => (controller ? resolve(controller) : setImmediate(poll));
          poll();
        }),
    };
  }

  it("keeps the order of publishing across two channels a stream is subscribed to", async () => {
    const news = createChannel();
    const alerts = createChannel();
    const { open, controller } = await oneSubscriber((stream) => {
      news.subscribe(stream);
      alerts.subscribe(stream);
    });
    const client = await open();
    await controller();
    news.publish("n1", { event: "news" });
    alerts.publish("a1", { event: "alert" });
    news.publish("n2", { event: "news" });
    alerts.publish("a2", { event: "alert" });
    expect((await client.take(4)).map((e) => [e.event, e.data])).toEqual([
      ["news", "n1"],
      ["alert", "a1"],
      ["news", "n2"],
      ["alert", "a2"],
    ]);
  });

  it("delivers what was published before a stream closes in the same tick", async () => {
    const channel = createChannel();
    const { url, controller } = await oneSubscriber((stream) => channel.subscribe(stream));
    const client = await request(url);
    const stream = await controller();
    channel.publish("last words");
    stream.close();
    expect(await client.ended).toBe("id: 1\ndata: last words\n\n");
  });

  it("delivers what was published before unsubscribing in the same tick, and nothing after", async () => {
    const channel = createChannel();
    let unsubscribe: (() => void) | undefined;
    const { url, controller } = await oneSubscriber((stream) => (unsubscribe = channel.subscribe(stream)));
    const client = await request(url);
    const stream = await controller();
    channel.publish("before");
    unsubscribe!();
    channel.publish("after");
    stream.send("done");
    expect(await client.waitFor((t) => t.includes("done"))).toBe("id: 1\ndata: before\n\ndata: done\n\n");
    client.destroy();
  });

  it("reads bufferedBytes without side effects: no event is delivered and no filter runs", async () => {
    const channel = createChannel();
    let filtered = 0;
    const { open, controller } = await oneSubscriber((stream) =>
      channel.subscribe(stream, { filter: () => (filtered += 1) > 0 }),
    );
    const client = await open();
    const stream = await controller();
    const before = stream.bufferedBytes;
    channel.publish("x".repeat(1000));
    expect(stream.bufferedBytes).toBe(before);
    expect(filtered).toBe(0);
    // The tick's pass delivers it.
    expect(await client.next()).toEqual({ event: "message", data: "x".repeat(1000), id: "1" });
    expect(filtered).toBe(1);
  });

  it("delivers to a controller of its own making, which gets each event as it is published", async () => {
    const channel = createChannel();
    const { open } = await oneSubscriber((stream) => {
      // A wrapper exposes the public controller only, as an application's own might.
      const wrapper = wrapController(stream);
      channel.subscribe(wrapper);
      stream.send("subscribed");
    });
    const client = await open();
    expect(await client.next()).toMatchObject({ data: "subscribed" });
    channel.publish("a");
    channel.publish("b");
    expect((await client.take(2)).map((e) => e.data)).toEqual(["a", "b"]);
  });
});

describe("publishing to one user each", () => {
  it("costs what each user gets, not the tick's other publishes: 20,000 users sent one event each in one tick get them at once", async () => {
    const users = 20_000;
    const channel = createChannel();
    const received: string[][] = Array.from({ length: users }, () => []);
    const leaving: AbortController[] = [];
    for (let user = 0; user < users; user += 1) {
      // Its own signal: the channel knows a stream by it.
      const gone = new AbortController();
      leaving.push(gone);
      // A controller of the app's own making, through the public interface:
      // 20,000 sockets would make this a test of sockets.
      const controller: SseController = {
        send: () => true,
        sendPrepared: (event) => received[user]!.push(event.text) > 0,
        pipe: async () => {},
        drain: async () => {},
        bufferedBytes: 0,
        comment: () => true,
        open: () => {},
        close: () => {},
        lastEventId: undefined,
        signal: gone.signal,
        closed: false,
      };
      channel.subscribe(controller, { topics: [`user:${user}`, "news"] });
    }
    const started = performance.now();
    // A notification loop: one publish per user, all in the same tick, so
    // they are delivered in one pass.
    for (let user = 0; user < users; user += 1) channel.publish(`for ${user}`, { id: `n${user}`, topics: [`user:${user}`] });
    await new Promise((resolve) => setImmediate(resolve));
    const settledMs = performance.now() - started;
    for (let user = 0; user < users; user += 1) expect(received[user]).toEqual([`id: n${user}\ndata: for ${user}\n\n`]);
    // A generous bound: the pass takes well under a second; looking at every
    // publish of the tick for every user took minutes (20,000²).
    expect(settledMs).toBeLessThan(20_000);
    for (const gone of leaving) gone.abort();
    expect(channel.size).toBe(0);
  }, 300_000);
});
