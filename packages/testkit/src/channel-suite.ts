/**
 * The one conformance suite every channel store passes: the in-memory ring
 * (createChannel) and the Redis stream (createRedisChannel) run the same
 * tests, over real HTTP, as clients see them. A store that passes it keeps
 * every promise of DESIGN.md's "Topics" and of the channel API.
 */
import diagnostics from "node:diagnostics_channel";
import type { RequestListener } from "node:http";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  sse,
  type ChannelPublishMessage,
  type ChannelReplayMessage,
  type ChannelResetMessage,
  type ChannelStats,
  type SseController,
  type SubscribeOptions,
} from "sse-middleware";
import { openEventStream, type EventStream } from "sse-middleware/testing";
import {
  aborted,
  Arrivals,
  listen,
  protocols,
  withSse,
  type AnyServer,
  type Protocol,
  type RawStream,
  type SseResponse,
  type TestServer,
} from "./http.js";

/** One instance of a channel under test, with `publish` and `close` made async for every store. */
export interface ChannelInstance {
  publish(data: unknown, options?: { event?: string; topics?: readonly string[] }): Promise<string>;
  subscribe(stream: SseController, options?: SubscribeOptions): () => void;
  readonly size: number;
  stats(): ChannelStats;
  /** The channel object itself, as its factory returned it: what diagnostics messages name. */
  readonly channel: object;
  close(): Promise<void>;
}

/** How a store makes channels for the suite. */
export interface ChannelFixture {
  /** Shown in the test titles. */
  readonly store: string;
  /**
   * Opens `instances` instances of one new channel that keeps about
   * `history` events (more than one only where the store spans processes).
   */
  open(options: { history: number; instances?: number; onError?: (error: unknown) => void }): Promise<ChannelInstance[]>;
  /** The ids the channel keeps now, oldest first, given every id published so far. */
  kept(instance: ChannelInstance, published: readonly string[]): Promise<string[]>;
  /** The most instances `open` can make. */
  readonly maxInstances: number;
}

/** An HTTP server in front of one instance: `GET /events` subscribes, with topics from `x-topics`. */
interface Served {
  readonly instance: ChannelInstance;
  readonly server: TestServer<AnyServer>;
  readonly controllers: SseController[];
  subscribed(count: number): Promise<void>;
}

/**
 * A client of a served instance, as a browser would be: it reads events
 * through sse-middleware/testing's client, and resumes from the last id it saw.
 */
interface Client {
  readonly stream: EventStream;
  readonly controller: SseController;
}

/** A client that sees the bytes, for the tests that assert exactly what reached the wire and how it ended. */
interface RawClient {
  readonly stream: RawStream;
  readonly controller: SseController;
}

// The longest wait for an event: Redis round trips on a loaded machine, well inside the tests' own limits.
const WAIT_MS = 10_000;

/** The data of events other than `reset`, in order (a client's `received`, or a raw stream's `events`). */
function dataOf(events: readonly { event?: string; data: string }[]): string[] {
  return events.filter((event) => event.event !== "reset").map((event) => event.data);
}

/** The last id a client has seen, id-only blocks included, as EventSource would send it back; undefined for none. */
function lastIdOf(stream: EventStream): string | undefined {
  return stream.lastEventId === "" ? undefined : stream.lastEventId;
}

/** The same, read from the bytes a raw client got. */
function lastIdInText(stream: RawStream): string | undefined {
  const ids = [...stream.text().matchAll(/^id: (.*)$/gm)];
  return ids.at(-1)?.[1];
}

/** Resolves once `client` has received an event with `data`, whether or not it was taken already. */
async function arrived(client: Client, data: string): Promise<void> {
  if (client.stream.received.some((event) => event.data === data)) return;
  await client.stream.takeUntil((event) => event.data === data);
}

/** Resolves once `client` has received `count` events other than `reset`. */
async function waitForData(client: Client, count: number): Promise<void> {
  const enough = (): boolean => dataOf(client.stream.received).length >= count;
  if (!enough()) await client.stream.takeUntil(enough);
}

/** Defines the conformance tests for one store, over HTTP/1.1 and over HTTP/2 (h2c). */
export function channelConformance(fixture: ChannelFixture): void {
  describe.each(protocols)(`channel conformance: ${fixture.store}, over %s`, (protocol) => conformance(fixture, protocol));
}

function conformance(fixture: ChannelFixture, protocol: Protocol): void {
  const servers: TestServer<AnyServer>[] = [];
  const opened: ChannelInstance[] = [];
  const streams: EventStream[] = [];

  afterEach(async () => {
    await Promise.all(streams.splice(0).map((stream) => stream.close()));
    await Promise.all(opened.splice(0).map((instance) => instance.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function open(history: number, options: { instances?: number; onError?: (error: unknown) => void } = {}) {
    const instances = await fixture.open({ history, ...options });
    opened.push(...instances);
    return instances;
  }

  async function serve(
    instance: ChannelInstance,
    options: { filter?: (stream: SseController) => SubscribeOptions["filter"] } = {},
  ): Promise<Served> {
    const arrivals = new Arrivals<SseController>();
    const server = await serveHandler((req, res) => {
      const header = req.headers["x-topics"];
      const topics = typeof header === "string" && header !== "" ? header.split(",") : undefined;
      instance.subscribe(res.sse, { topics, filter: options.filter?.(res.sse) });
      arrivals.push(res.sse);
    });
    return { instance, server, controllers: arrivals.items, subscribed: (n) => arrivals.atLeast(n) };
  }

  /** Serves `handle` behind a fresh `sse()`, over this run's protocol; closed after the test. */
  async function serveHandler(handle: (req: Parameters<RequestListener>[0], res: SseResponse) => void) {
    const server = await listen(withSse(sse({ keepAlive: false }), handle), { protocol });
    servers.push(server);
    return server;
  }

  function headersFor(topics: readonly string[], lastEventId: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { "x-topics": topics.join(",") };
    if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
    return headers;
  }

  /** Opens `GET path` on `server` with the test client; closed after the test. */
  async function openStream(server: TestServer<AnyServer>, path: string, headers: Record<string, string> = {}) {
    const stream = await openEventStream(server.server, path, { headers, timeout: WAIT_MS });
    streams.push(stream);
    return stream;
  }

  async function connect(served: Served, topics: readonly string[] = [], lastEventId?: string): Promise<Client> {
    const before = served.controllers.length;
    const stream = await openStream(served.server, "/events", headersFor(topics, lastEventId));
    await served.subscribed(before + 1);
    return { stream, controller: served.controllers[before]! };
  }

  async function connectRaw(served: Served, topics: readonly string[] = [], lastEventId?: string): Promise<RawClient> {
    const before = served.controllers.length;
    const stream = await served.server.request("/events", { headers: headersFor(topics, lastEventId) });
    await served.subscribed(before + 1);
    return { stream, controller: served.controllers[before]! };
  }

  describe("keeps every promise of a channel", () => {
    describe("topics", () => {
      it("sends untargeted events to everyone, targeted ones only to subscribers sharing a topic, and none to a subscriber without topics", async () => {
        const [instance] = await open(10);
        const served = await serve(instance!);
        const alice = await connectRaw(served, ["news", "user:alice"]);
        const bob = await connectRaw(served, ["user:bob"]);
        const anonymous = await connectRaw(served);
        await instance!.publish("all");
        await instance!.publish("news", { topics: ["news"] });
        await instance!.publish("for alice", { topics: ["user:alice"] });
        await instance!.publish("for bob", { topics: ["user:bob"], event: "note" });
        await instance!.publish("for both", { topics: ["user:alice", "user:bob"] });
        await instance!.publish("end");
        await Promise.all([alice, bob, anonymous].map((client) => client.stream.waitFor((t) => t.includes("data: end"))));
        expect(dataOf(alice.stream.events)).toEqual(["all", "news", "for alice", "for both", "end"]);
        expect(dataOf(bob.stream.events)).toEqual(["all", "for bob", "for both", "end"]);
        expect(bob.stream.events[1]).toMatchObject({ event: "note", data: "for bob" });
        expect(dataOf(anonymous.stream.events)).toEqual(["all", "end"]);
        // Nothing of another user's events reached the wire, not even its bytes.
        expect(bob.stream.text()).not.toContain("alice");
        expect(anonymous.stream.text()).not.toMatch(/for |news/);
      });

      it("resumes every topic of a connection from one Last-Event-ID, and replays none of another's", async () => {
        const [instance] = await open(100);
        const served = await serve(instance!);
        const first = await connect(served, ["news", "user:alice"]);
        await instance!.publish("seen");
        await waitForData(first, 1);
        await first.stream.close();
        await aborted(first.controller.signal);
        await instance!.publish("n1", { topics: ["news"] });
        await instance!.publish("b1", { topics: ["user:bob"] });
        await instance!.publish("a1", { topics: ["user:alice"] });
        await instance!.publish("all");
        const again = await connect(served, ["news", "user:alice"], lastIdOf(first.stream));
        await instance!.publish("a2", { topics: ["user:alice"] });
        await arrived(again, "a2");
        expect(dataOf(again.stream.received)).toEqual(["n1", "a1", "all", "a2"]);
        expect(again.stream.received.some((event) => event.event === "reset")).toBe(false);
      });

      it("sends reset and then only the kept events meant for the subscriber, for an id older than the window", async () => {
        const [instance] = await open(5);
        const published: string[] = [];
        for (let n = 0; n < 300; n += 1) {
          published.push(await instance!.publish(`e${n}`, n % 2 === 0 ? { topics: ["even"] } : { topics: ["odd"] }));
        }
        const kept = await fixture.kept(instance!, published);
        expect(kept.length).toBeLessThan(published.length);
        const served = await serve(instance!);
        const client = await connect(served, ["even"], published[0]);
        const keptEven = kept.filter((id) => published.indexOf(id) % 2 === 0);
        const expected = keptEven.map((id) => `e${published.indexOf(id)}`);
        await waitForData(client, expected.length);
        // Named after the oldest kept event meant for it: the oldest kept may be another topic's.
        expect(client.stream.received[0]).toMatchObject({ event: "reset", data: keptEven[0] });
        expect(dataOf(client.stream.received)).toEqual(expected);
      });

      it("rejects bad topics with a TypeError naming them, before anything is kept or sent", async () => {
        const [instance] = await open(10);
        const served = await serve(instance!);
        const client = await connect(served);
        for (const topics of [[], [""], "news", [1], [null], {}, ["ok", ""]]) {
          await expect(instance!.publish("leak", { topics } as never), JSON.stringify(topics)).rejects.toThrow(TypeError);
        }
        await expect(instance!.publish("x", { topics: [] })).rejects.toThrow(/topics must be a non-empty array/);
        await expect(instance!.publish("x", { topics: ["a", 7] } as never)).rejects.toThrow(/topics must be non-empty strings, got 7/);
        await instance!.publish("fine");
        await arrived(client, "fine");
        expect(dataOf(client.stream.received)).toEqual(["fine"]);
        expect(() => instance!.subscribe(client.controller, { topics: "news" } as never)).toThrow(/subscribe\(\) topics must be an array/);
        expect(() => instance!.subscribe(client.controller, { topics: [""] })).toThrow(/topics must be non-empty strings, got ""/);
        expect(() => instance!.subscribe(client.controller, { filter: 1 } as never)).toThrow(/filter must be a function, got 1/);
      });

      it("treats subscribe with topics: [] as naming none", async () => {
        const [instance] = await open(10);
        const served = await serve(instance!);
        const client = await connect(served, []);
        await instance!.publish("private", { topics: ["user:x"] });
        await instance!.publish("public");
        await arrived(client, "public");
        expect(dataOf(client.stream.received)).toEqual(["public"]);
      });

      it("runs filters only for the subscribers an event is meant for", async () => {
        const [instance] = await open(10);
        const calls = new Map<string, number>();
        const served = await serve(instance!, {
          filter: (stream) => () => {
            const user = (stream as { user?: string }).user ?? "?";
            calls.set(user, (calls.get(user) ?? 0) + 1);
            return true;
          },
        });
        const clients: Client[] = [];
        for (let n = 0; n < 20; n += 1) {
          const client = await connect(served, [`user:${n}`]);
          (client.controller as { user?: string }).user = String(n);
          clients.push(client);
        }
        await instance!.publish("hi 7", { topics: ["user:7"] });
        await instance!.publish("hi 3", { topics: ["user:3"] });
        await arrived(clients[3]!, "hi 3");
        expect(dataOf(clients[7]!.stream.received)).toEqual(["hi 7"]);
        expect(Object.fromEntries(calls)).toEqual({ "7": 1, "3": 1 });
      });
    });

    describe("another user's event, never named", () => {
      it("is not the id a new subscriber's join block names; that id is the newest meant for it, and it resumes from there", async () => {
        const [instance] = await open(100);
        const served = await serve(instance!);
        // Sees everything, so the test knows each instance has read both events.
        const witness = await connect(served, ["user:alice", "user:bob"]);
        const bob1 = await instance!.publish("bob 1", { topics: ["user:bob"] });
        const alice1 = await instance!.publish("alice 1", { topics: ["user:alice"] });
        await waitForData(witness, 2);
        const bob = await connectRaw(served, ["user:bob"]);
        const anonymous = await connectRaw(served);
        await bob.stream.waitFor((t) => t.includes("id: "));
        expect(bob.stream.text()).toBe(`id: ${bob1}\n\n`);
        // It drops before its first event: from that id it misses nothing meant for it.
        bob.stream.destroy();
        await aborted(bob.controller.signal);
        await instance!.publish("alice 2", { topics: ["user:alice"] });
        await instance!.publish("bob 2", { topics: ["user:bob"] });
        const again = await connectRaw(served, ["user:bob"], lastIdInText(bob.stream));
        await again.stream.waitFor((t) => t.includes("data: bob 2"));
        expect(dataOf(again.stream.events)).toEqual(["bob 2"]);
        // Nothing was meant for a subscriber without topics: no join block at all, rather than alice's id.
        const hi = await instance!.publish("hi");
        await anonymous.stream.waitFor((t) => t.includes("data: hi"));
        expect(anonymous.stream.text()).toBe(`id: ${hi}\ndata: hi\n\n`);
        for (const client of [bob, again, anonymous]) {
          expect(client.stream.text().split("\n")).not.toContain(`id: ${alice1}`);
          expect(client.stream.text().split("\n")).not.toContain(`data: ${alice1}`);
        }
      });

      it("is not what a reset names; when nothing kept is meant for the client, the reset names nothing", async () => {
        const [instance] = await open(5);
        const published: string[] = [];
        for (let n = 0; n < 300; n += 1) published.push(await instance!.publish(`a${n}`, { topics: ["user:alice"] }));
        const kept = await fixture.kept(instance!, published);
        expect(kept.length).toBeLessThan(published.length);
        const served = await serve(instance!);
        const bob = await connectRaw(served, ["user:bob"], published[0]);
        await bob.stream.waitFor((t) => t.includes("event: reset"));
        const note = await instance!.publish("for bob", { topics: ["user:bob"] });
        await bob.stream.waitFor((t) => t.includes("data: for bob"));
        expect(bob.stream.text()).toBe(`event: reset\ndata: \n\nid: ${note}\ndata: for bob\n\n`);
      });
    });

    describe("a filter that throws", () => {
      it("ends only its own subscriber's stream, is reported, and never reaches the publisher; everyone else gets every event once", async () => {
        const errors: unknown[] = [];
        const [instance] = await open(100, { onError: (error) => errors.push(error) });
        const served = await serve(instance!, {
          filter: (stream) => (event) => {
            if ((stream as { faulty?: boolean }).faulty === true && event.data === "e2") throw new Error("filter bug");
            return true;
          },
        });
        const healthy = await connect(served);
        const faulty = await connectRaw(served);
        (faulty.controller as { faulty?: boolean }).faulty = true;
        const other = await connect(served);
        const published: string[] = [];
        for (const data of ["e1", "e2", "e3"]) published.push(await instance!.publish(data));
        await expect(faulty.stream.ended).resolves.toBe(`id: ${published[0]}\ndata: e1\n\n`);
        for (const data of ["e4", "e5"]) await instance!.publish(data);
        for (const client of [healthy, other]) {
          await arrived(client, "e5");
          expect(dataOf(client.stream.received)).toEqual(["e1", "e2", "e3", "e4", "e5"]);
        }
        expect(errors).toHaveLength(1);
        expect(String(errors[0])).toContain("filter bug");
        expect(instance!.size).toBe(2);
      });

      it("in a replay, ends only that subscriber; live and replaying subscribers get every event once", async () => {
        const errors: unknown[] = [];
        const [instance] = await open(100, { onError: (error) => errors.push(error) });
        const served = await serve(instance!, {
          filter: (stream) => (event) => {
            if ((stream as { faulty?: boolean }).faulty === true && event.data === "old 2") throw new Error("replay bug");
            return true;
          },
        });
        const live = await connect(served);
        const ids: string[] = [];
        for (const data of ["old 1", "old 2", "old 3"]) ids.push(await instance!.publish(data));
        await waitForData(live, 3);
        // Subscribed with the flag already set: the handler runs before the test sees the controller.
        const faultyServed = await serve(instance!, {
          filter: () => (event) => {
            if (event.data === "old 2") throw new Error("replay bug");
            return true;
          },
        });
        const faulty = await connectRaw(faultyServed, [], ids[0]);
        const replaying = await connect(served, [], ids[0]);
        await instance!.publish("new");
        await expect(faulty.stream.ended).resolves.toBe("");
        for (const client of [live, replaying]) await arrived(client, "new");
        expect(dataOf(live.stream.received)).toEqual(["old 1", "old 2", "old 3", "new"]);
        expect(dataOf(replaying.stream.received)).toEqual(["old 2", "old 3", "new"]);
        expect(errors.map(String)).toEqual(["Error: replay bug"]);
      });

      it("without onError, is a process warning, not a crash", async () => {
        const warnings: Error[] = [];
        const onWarning = (warning: Error): void => void warnings.push(warning);
        process.on("warning", onWarning);
        try {
          const [instance] = await open(10);
          const served = await serve(instance!, {
            filter: () => () => {
              throw new Error("unreported bug");
            },
          });
          const client = await connectRaw(served);
          await instance!.publish("x");
          await client.stream.ended;
          await expect.poll(() => warnings.map((w) => w.message)).toContain("unreported bug");
        } finally {
          process.off("warning", onWarning);
        }
      });
    });

    describe("re-entrant calls from a filter", () => {
      it("a publish from a filter reaches every stream after the events of the pass that ran the filter", async () => {
        const [instance] = await open(100);
        let published = false;
        const served = await serve(instance!, {
          filter: (stream) => (event) => {
            if ((stream as { first?: boolean }).first === true && event.data === "a1" && !published) {
              published = true;
              void instance!.publish("a4").catch(() => {});
            }
            return true;
          },
        });
        const first = await connect(served);
        (first.controller as { first?: boolean }).first = true;
        const second = await connect(served);
        await Promise.all([instance!.publish("a1"), instance!.publish("a2"), instance!.publish("a3")]);
        for (const client of [first, second]) {
          await arrived(client, "a4");
          expect(dataOf(client.stream.received)).toEqual(["a1", "a2", "a3", "a4"]);
        }
      });

      it("a publish on another channel from a filter keeps the order of the calls on a stream subscribed to both", async () => {
        const [a] = await open(100);
        const [b] = await open(100);
        let published = false;
        const arrivals = new Arrivals<SseController>();
        const server = await serveHandler((_req, res) => {
          a!.subscribe(res.sse, {
            filter: (event) => {
              if (event.data === "a1" && !published) {
                published = true;
                void b!.publish("b1").catch(() => {});
              }
              return true;
            },
          });
          b!.subscribe(res.sse);
          arrivals.push(res.sse);
        });
        const stream = await openStream(server, "/events");
        await arrivals.atLeast(1);
        await Promise.all([a!.publish("a1"), a!.publish("a2"), a!.publish("a3")]);
        await stream.takeUntil((event) => event.data === "b1");
        expect(dataOf(stream.received)).toEqual(["a1", "a2", "a3", "b1"]);
      });

      it("close() from a filter delivers every event published before it, then ends each stream", async () => {
        const [instance] = await open(100);
        let closing: Promise<void> | undefined;
        const served = await serve(instance!, {
          filter: () => (event) => {
            if (event.data === "a1") closing ??= instance!.close();
            return true;
          },
        });
        const clients = [await connectRaw(served), await connectRaw(served)];
        const ids = await Promise.all([instance!.publish("a1"), instance!.publish("a2"), instance!.publish("a3")]);
        for (const client of clients) {
          const text = await client.stream.ended;
          expect(dataOf(client.stream.events), text).toEqual(["a1", "a2", "a3"]);
          expect(client.stream.events.map((event) => event.id)).toEqual(ids);
        }
        await closing;
        expect(instance!.size).toBe(0);
        await expect(instance!.publish("after")).rejects.toThrow(/closed channel/);
      });
    });

    describe("stats() and the diagnostics channels", () => {
      it("count subscribers, events taken, replayed and reset, and tell publish, replay and reset with the channel named", async () => {
        const watched = {
          publish: new Arrivals<ChannelPublishMessage>(),
          replay: new Arrivals<ChannelReplayMessage>(),
          reset: new Arrivals<ChannelResetMessage>(),
        };
        const listeners = Object.entries(watched).map(([what, arrivals]) => {
          const name = `sse-middleware:channel:${what}`;
          const onMessage = (message: unknown): void => arrivals.push(message as never);
          diagnostics.subscribe(name, onMessage);
          return () => diagnostics.unsubscribe(name, onMessage);
        });
        try {
          const [instance] = await open(10);
          const ours = <Message extends { channel: object }>(arrivals: Arrivals<Message>) =>
            arrivals.items.filter((message) => message.channel === instance!.channel);
          expect(instance!.stats()).toEqual({ subscribers: 0, published: 0, replayed: 0, resets: 0 });
          const served = await serve(instance!);
          const live = await connect(served);
          const ids = [
            await instance!.publish("e1"),
            await instance!.publish("e2", { event: "story" }),
            await instance!.publish("e3"),
            await instance!.publish("e4", { topics: ["x"] }),
          ];
          await instance!.publish("e5");
          await arrived(live, "e5");
          expect(dataOf(live.stream.received)).toEqual(["e1", "e2", "e3", "e5"]); // e4 is not for it

          // One resumes after e1: e2, e3, e5 (not e4) come from the store.
          const resumed = await connect(served, [], ids[0]);
          // One resumes from an id the channel never issued: reset, then the window meant for it.
          const lost = await connect(served, [], "0-0-never");
          await waitForData(resumed, 3);
          await waitForData(lost, 4);
          await watched.replay.atLeast(2);
          expect(dataOf(lost.stream.received)).toEqual(["e1", "e2", "e3", "e5"]);
          expect(instance!.stats()).toEqual({ subscribers: 3, published: 5, replayed: 7, resets: 1 });

          await live.stream.close();
          await aborted(live.controller.signal);
          expect(instance!.stats()).toEqual({ subscribers: 2, published: 5, replayed: 7, resets: 1 });

          expect(ours(watched.publish).map(({ id, event, topics }) => ({ id, event, topics }))).toEqual([
            { id: ids[0], event: undefined, topics: undefined },
            { id: ids[1], event: "story", topics: undefined },
            { id: ids[2], event: undefined, topics: undefined },
            { id: ids[3], event: undefined, topics: ["x"] },
            { id: expect.any(String), event: undefined, topics: undefined },
          ]);
          const replays = ours(watched.replay).map(({ stream, lastEventId, replayed }) => ({ stream, lastEventId, replayed }));
          expect(replays).toHaveLength(2);
          expect(replays).toContainEqual({ stream: resumed.controller, lastEventId: ids[0], replayed: 3 });
          expect(replays).toContainEqual({ stream: lost.controller, lastEventId: "0-0-never", replayed: 4 });
          expect(ours(watched.reset)).toEqual([
            { cause: "resume", channel: instance!.channel, oldestId: ids[0], stream: lost.controller, lastEventId: "0-0-never" },
          ]);
        } finally {
          for (const stop of listeners) stop();
        }
      });
    });

    describe("close", () => {
      it("ends every subscriber after what was published, ends later subscribers at once, and refuses publishing", async () => {
        const [instance] = await open(10);
        const served = await serve(instance!);
        const clients = [await connectRaw(served, ["news"]), await connectRaw(served)];
        const id = await instance!.publish("last");
        await Promise.all(clients.map((client) => client.stream.waitFor((t) => t.includes("data: last"))));
        await instance!.close();
        expect(instance!.size).toBe(0);
        for (const client of clients) expect(await client.stream.ended).toBe(`id: ${id}\ndata: last\n\n`);
        const late = await served.server.request("/events");
        expect(await late.ended).toBe("");
        await expect(instance!.publish("after")).rejects.toThrow(/closed channel/);
      });

      it("stops delivering to a subscriber after its unsubscribe", async () => {
        const [instance] = await open(10);
        const unsubscribes: (() => void)[] = [];
        const arrivals = new Arrivals<SseController>();
        const server = await serveHandler((_req, res) => {
          unsubscribes.push(instance!.subscribe(res.sse, { topics: ["news"] }));
          arrivals.push(res.sse);
        });
        const leaving = await server.request("/events");
        const staying = await openStream(server, "/events");
        await arrivals.atLeast(2);
        unsubscribes[0]!();
        expect(instance!.size).toBe(1);
        await instance!.publish("missed", { topics: ["news"] });
        await instance!.publish("missed too");
        // The one still subscribed gets them in the same passes.
        await staying.takeUntil((event) => event.data === "missed too");
        expect(dataOf(staying.received)).toEqual(["missed", "missed too"]);
        expect(leaving.text()).toBe("");
      });
    });

    describe("no private event ever reaches another user", () => {
      it("holds for random users, topics, publishes, connects and reconnects: each client sees exactly its events, once, in order", async () => {
        const instancesWanted = Math.min(2, fixture.maxInstances);
        type Step =
          | { kind: "publish"; to: "all" | "news" | number }
          | { kind: "connect"; client: number; instance: number }
          | { kind: "disconnect"; client: number };
        const USERS = 3;
        const CLIENTS = 4;
        const step: fc.Arbitrary<Step> = fc.oneof(
          {
            weight: 5,
            arbitrary: fc
              .oneof(fc.constant<"all">("all"), fc.constant<"news">("news"), fc.nat(USERS - 1))
              .map((to): Step => ({ kind: "publish", to })),
          },
          {
            weight: 2,
            arbitrary: fc
              .record({ client: fc.nat(CLIENTS - 1), instance: fc.nat(instancesWanted - 1) })
              .map(({ client, instance }): Step => ({ kind: "connect", client, instance })),
          },
          { weight: 2, arbitrary: fc.nat(CLIENTS - 1).map((client): Step => ({ kind: "disconnect", client })) },
        );
        const clientSpec = fc.array(fc.record({ user: fc.nat(USERS - 1), news: fc.boolean() }), {
          minLength: CLIENTS,
          maxLength: CLIENTS,
        });
        await fc.assert(
          fc.asyncProperty(clientSpec, fc.array(step, { minLength: 6, maxLength: 30 }), async (specs, steps) => {
            const instances = await open(1000, { instances: instancesWanted });
            const served = await Promise.all(instances.map((instance) => serve(instance)));
            const topicsOf = (client: number): string[] => [
              `user:${specs[client]!.user}`,
              ...(specs[client]!.news ? ["news"] : []),
            ];
            // Every publish: its payload, its audience, and (once resolved) its id.
            const published: { data: string; to: Step & { kind: "publish" } }[] = [];
            const meantFor = (client: number, to: "all" | "news" | number): boolean =>
              to === "all" || (to === "news" ? specs[client]!.news : specs[client]!.user === to);
            const connections: Client[][] = Array.from({ length: CLIENTS }, () => []);
            const open_: (Client | undefined)[] = new Array(CLIENTS).fill(undefined);
            const firstConnectAt: (number | undefined)[] = new Array(CLIENTS).fill(undefined);
            // A connection keeps the id it resumed from until the stream sets another.
            const lastIdOfClient = (client: number): string | undefined => {
              const last = connections[client]!.at(-1);
              return last === undefined ? undefined : lastIdOf(last.stream);
            };
            const connectClient = async (client: number, instance: number): Promise<void> => {
              const lastId = lastIdOfClient(client);
              // Without an id to send back, a client starts afresh, as EventSource does.
              if (lastId === undefined) firstConnectAt[client] = published.length;
              const connection = await connect(served[instance]!, topicsOf(client), lastId);
              connections[client]!.push(connection);
              open_[client] = connection;
            };
            try {
              for (const s of steps) {
                if (s.kind === "publish") {
                  const data = `p${published.length}`;
                  const topics = s.to === "all" ? undefined : s.to === "news" ? ["news"] : [`user:${s.to}`];
                  published.push({ data, to: s });
                  await instances[published.length % instances.length]!.publish(data, topics ? { topics } : {});
                } else if (s.kind === "connect" && open_[s.client] === undefined) {
                  await connectClient(s.client, s.instance);
                } else if (s.kind === "disconnect" && open_[s.client] !== undefined) {
                  const connection = open_[s.client]!;
                  // It leaves once it has what was meant for it so far, so the
                  // id it resumes from is the one that says so.
                  const due = published
                    .slice(firstConnectAt[s.client])
                    .filter((p) => meantFor(s.client, p.to.to))
                    .at(-1);
                  const hasDue = (): boolean =>
                    due === undefined || connections[s.client]!.some((c) => dataOf(c.stream.received).includes(due.data));
                  if (!hasDue()) await connection.stream.takeUntil(hasDue);
                  await connection.stream.close();
                  await aborted(connection.controller.signal);
                  open_[s.client] = undefined;
                }
              }
              // Everyone comes back; then a marker for everyone, so each client can tell it has caught up.
              for (let client = 0; client < CLIENTS; client += 1) {
                if (firstConnectAt[client] !== undefined && open_[client] === undefined) {
                  await connectClient(client, client % instances.length);
                }
              }
              await instances[0]!.publish("end");
              for (let client = 0; client < CLIENTS; client += 1) {
                if (firstConnectAt[client] === undefined) continue;
                await arrived(open_[client]!, "end");
              }
              for (let client = 0; client < CLIENTS; client += 1) {
                const start = firstConnectAt[client];
                if (start === undefined) continue;
                const received = connections[client]!.flatMap((connection) => dataOf(connection.stream.received));
                expect(received.at(-1)).toBe("end");
                const meant = published.filter((p) => meantFor(client, p.to.to)).map((p) => p.data);
                const got = received.slice(0, -1);
                // Exactly a suffix of what is meant for it, holding all published after it first came.
                for (const data of got) expect(meant, `client ${client} got ${data}, not meant for it`).toContain(data);
                const from = meant.indexOf(got[0] ?? "");
                const mustHave = published
                  .slice(start)
                  .filter((p) => meantFor(client, p.to.to))
                  .map((p) => p.data);
                expect(got, `client ${client}`).toEqual(meant.slice(from === -1 ? meant.length - mustHave.length : from));
                expect(got.slice(got.length - mustHave.length)).toEqual(mustHave);
              }
            } finally {
              await Promise.all(open_.map((client) => client?.stream.close()));
              await Promise.all(instances.map((instance) => instance.close()));
            }
          }),
          { numRuns: Number(process.env.PROPERTY_RUNS ?? 25) },
        );
      }, 120_000);
    });
  });
}
