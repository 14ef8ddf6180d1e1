import diagnostics from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import {
  createChannel,
  sse,
  type SseController,
  type StreamCloseMessage,
  type StreamOpenMessage,
  type StreamRefusedMessage,
} from "sse-middleware";
import { aborted, Arrivals, listen, nextTurn, protocols, withSse, type RawStream, type TestServer } from "sse-testkit/http";

let server: Pick<TestServer, "close"> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Collects what is published on a diagnostics channel until `stop()`. */
function listenTo<Message>(name: string): { messages: (Message & { statusAtPublish?: number })[]; stop(): void } {
  const messages: (Message & { statusAtPublish?: number })[] = [];
  // A copy of what is plain in the message when it comes (a response's status changes later).
  const onMessage = (message: unknown): void =>
    void messages.push({ ...(message as Message), statusAtPublish: (message as { response?: { statusCode: number } }).response?.statusCode });
  diagnostics.subscribe(name, onMessage);
  return { messages, stop: () => diagnostics.unsubscribe(name, onMessage) };
}

const bytesOf = (client: RawStream): number => Buffer.byteLength(client.text(), "utf8");

describe.each(protocols)("sse().stats() and the stream diagnostics channels, over %s", (protocol) => {
  it("count each stream opened, each close by its reason, the refused one, and every event and byte sent, exactly", async () => {
    const opens = listenTo<StreamOpenMessage>("sse-middleware:stream:open");
    const closes = listenTo<StreamCloseMessage>("sse-middleware:stream:close");
    const refusals = listenTo<StreamRefusedMessage>("sse-middleware:stream:refused");
    try {
      const events = sse({ maxConnections: 4, maxAge: 5000, keepAlive: false, maxBufferedBytes: 64 * 1024 });
      const controllers = new Arrivals<SseController>();
      const testServer = await listen(
        withSse(events, (_req, res) => {
          if (res.sse.send("welcome")) controllers.push(res.sse);
        }),
        { protocol },
      );
      server = testServer;
      const open = async (): Promise<{ client: RawStream; controller: SseController }> => {
        const before = controllers.items.length;
        const client = await testServer.request("/");
        await client.waitFor((text) => text.includes("welcome"));
        return { client, controller: controllers.items[before]! };
      };
      expect(events.stats()).toEqual({
        open: 0,
        opened: 0,
        closed: { client: 0, server: 0, slowClient: 0, maxAge: 0, shutdown: 0 },
        refused: 0,
        eventsSent: 0,
        bytesSent: 0,
        heartbeats: 0,
      });

      // Four streams open: the limit.
      const aged = await open();
      const slow = await open();
      const leaving = await open();
      const ended = await open();
      expect(events.stats()).toMatchObject({ open: 4, opened: 4 });

      // A fifth is refused, and is no stream; nor is a HEAD request.
      const refused = await testServer.request("/");
      expect(refused.status).toBe(503);
      await refused.closed;
      ended.controller.close(); // the app closes one
      expect(await ended.client.ended).toBe("data: welcome\n\n");
      expect((await testServer.request("/", { method: "HEAD" })).status).toBe(200);
      leaving.client.destroy(); // a client goes away
      await aborted(leaving.controller.signal);

      // A client that stops reading is cut once it is more than the bound behind.
      slow.client.pause();
      const payload = "x".repeat(10_000);
      let slowEvents = 0;
      for (let i = 0; i < 5000 && !slow.controller.closed; i += 1) {
        if (slow.controller.send(payload)) slowEvents += 1;
        await nextTurn();
      }
      expect(slow.controller.closed).toBe(true);
      slow.client.destroy();

      // maxAge ends the first stream by itself.
      expect(await aged.client.ended).toBe("data: welcome\n\n");

      // Shutdown ends the rest, each with a jittered retry.
      const last = [await open(), await open()];
      await events.close();
      for (const { client } of last) expect(await client.ended).toMatch(/^data: welcome\n\nretry: \d+\n\n$/);

      const welcome = "data: welcome\n\n".length;
      const slowBytes = welcome + slowEvents * `data: ${payload}\n\n`.length;
      expect(events.stats()).toEqual({
        open: 0,
        opened: 6,
        closed: { client: 1, server: 1, slowClient: 1, maxAge: 1, shutdown: 2 },
        refused: 1,
        eventsSent: 6 + slowEvents,
        bytesSent: [aged, leaving, ended, ...last].reduce((sum, { client }) => sum + bytesOf(client), slowBytes),
        heartbeats: 0,
      });

      // The hooks saw the same: each stream opened once and closed once, with its reason.
      const ours = new Set(controllers.items);
      expect(opens.messages.filter((m) => ours.has(m.stream)).map((m) => m.stream)).toEqual(controllers.items);
      const reasons = new Map(closes.messages.filter((m) => ours.has(m.stream)).map((m) => [m.stream, m.reason]));
      expect(closes.messages.filter((m) => ours.has(m.stream))).toHaveLength(6);
      expect([aged, slow, leaving, ended, ...last].map(({ controller }) => reasons.get(controller))).toEqual([
        "maxAge",
        "slowClient",
        "client",
        "server",
        "shutdown",
        "shutdown",
      ]);
      for (const message of [...opens.messages, ...closes.messages]) expect(message.request.url).toBe("/");
      for (const message of opens.messages.filter((m) => ours.has(m.stream))) expect(message.statusAtPublish).toBe(200);
      expect(refusals.messages).toHaveLength(1);
      expect(refusals.messages[0]).toMatchObject({ maxConnections: 4, statusAtPublish: 503 });
    } finally {
      opens.stop();
      closes.stop();
      refusals.stop();
    }
  }, 60_000);

  it("count every event of a channel's joined chunk and of a replay, and not the id-only block that only sets a client's id", async () => {
    const channel = createChannel({ history: 10 });
    channel.publish("a");
    const events = sse({ keepAlive: false });
    const subscribed = new Arrivals<SseController>();
    const testServer = await listen(
      withSse(events, (_req, res) => {
        channel.subscribe(res.sse);
        subscribed.push(res.sse);
      }),
      { protocol },
    );
    server = testServer;
    const fresh = await testServer.request("/");
    const resuming = await testServer.request("/", { headers: { "Last-Event-ID": "never-issued" } });
    await subscribed.atLeast(2);
    for (const data of ["b", "c", "d"]) channel.publish(data); // one tick: one chunk per client
    await Promise.all([fresh, resuming].map((client) => client.waitFor((text) => text.includes("data: d"))));
    await events.close({ retryWindow: 0 });
    const bodies = await Promise.all([fresh.ended, resuming.ended]);
    expect(bodies[0]).toBe("id: 1\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\nid: 4\ndata: d\n\n");
    expect(fresh.chunks.length + resuming.chunks.length).toBeLessThan(8);
    expect([fresh.events.length, resuming.events.length]).toEqual([3, 5]); // resuming: reset, a, b, c, d
    expect(events.stats()).toMatchObject({
      eventsSent: 8,
      bytesSent: Buffer.byteLength(bodies[0]) + Buffer.byteLength(bodies[1]),
    });
  });

  it("count heartbeats, which are not events, and return a new object each time", async () => {
    const events = sse({ keepAlive: 10 });
    let controller: SseController | undefined;
    const testServer = await listen(
      withSse(events, (_req, res) => {
        controller = res.sse;
        res.sse.send("hello", { id: "1", event: "greeting" });
      }),
      { protocol },
    );
    server = testServer;
    const client = await testServer.request("/");
    await client.waitFor((text) => text.split(":\n\n").length > 4);
    controller!.comment("not a heartbeat");
    controller!.close();
    const body = await client.ended;
    const heartbeats = body.split(":\n\n").length - 1;
    const first = events.stats();
    expect(first).toEqual({
      open: 0,
      opened: 1,
      closed: { client: 0, server: 1, slowClient: 0, maxAge: 0, shutdown: 0 },
      refused: 0,
      eventsSent: 1,
      bytesSent: Buffer.byteLength(body),
      heartbeats,
    });
    expect(heartbeats).toBeGreaterThanOrEqual(4);
    first.closed.server = 99;
    expect(events.stats().closed.server).toBe(1);
  });
});

describe("diagnostics channels with no subscriber", () => {
  it("are never published to: no message is built", async () => {
    const published: string[] = [];
    const names = ["open", "close", "refused"].map((what) => `sse-middleware:stream:${what}`);
    const original = diagnostics.Channel.prototype.publish;
    diagnostics.Channel.prototype.publish = function (this: diagnostics.Channel, message: unknown) {
      published.push(String(this.name));
      return original.call(this, message);
    };
    try {
      const events = sse({ maxConnections: 1 });
      const testServer = await listen(withSse(events, (_req, res) => void res.sse.send("x")));
      server = testServer;
      const client = await testServer.request("/");
      expect((await testServer.request("/")).status).toBe(503);
      client.destroy();
      await client.closed;
      await events.close();
      expect(events.stats()).toMatchObject({ opened: 1, refused: 1 });
    } finally {
      diagnostics.Channel.prototype.publish = original;
    }
    expect(published.filter((name) => names.includes(name))).toEqual([]);
  });
});
