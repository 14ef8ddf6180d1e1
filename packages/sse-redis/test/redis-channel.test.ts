// The Redis channel on one instance keeps the promises of createChannel:
// the same bytes on the wire, replay after Last-Event-ID, the same reset,
// the same id-only block, filters and close.
import { afterEach, describe, expect, inject, it } from "vitest";
import { createRedisChannel, type RedisChannel } from "sse-middleware-redis";
import express from "express";
import { sse } from "sse-middleware";
import { aborted, listen, request } from "sse-testkit/http";
import {
  connect,
  dataOf,
  openClient,
  startInstance,
  uniqueStream,
  waitForEvents,
  type Instance,
  useRedisClient,
} from "./instances.js";

const redisUrl = inject("redisUrl");
const redis = useRedisClient(redisUrl);

let instances: Instance[] = [];
afterEach(async () => {
  await Promise.all(instances.map((instance) => instance.close()));
  instances = [];
});

async function start(stream = uniqueStream(), options: Parameters<typeof startInstance>[2] = {}): Promise<Instance> {
  const instance = await startInstance(redisUrl, stream, options);
  instances.push(instance);
  return instance;
}

async function publishAll(channel: RedisChannel, data: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const item of data) ids.push(await channel.publish(item));
  return ids;
}

describe("publish", () => {
  it("appends to the stream and returns the entry id Redis gave it, which is the SSE id", async () => {
    const stream = uniqueStream();
    const { channel } = await start(stream);
    const first = await channel.publish("a");
    const second = await channel.publish({ n: 2 }, { event: "story" });
    expect(first).toMatch(/^\d+-\d+$/);
    const entries = await redis.xRange(stream, "-", "+");
    expect(entries).toEqual([
      { id: first, message: { data: "a" } },
      { id: second, message: { data: '{"n":2}', encoding: "json", event: "story" } },
    ]);
  });

  it("sends every subscriber the same bytes: string data verbatim, anything else as JSON", async () => {
    const instance = await start();
    const clients = await Promise.all(Array.from({ length: 5 }, () => request(instance.url)));
    await instance.subscribed(5);
    const id = await instance.channel.publish({ n: 1 }, { event: "story" });
    const lines = await instance.channel.publish("line 1\nline 2");
    const texts = await Promise.all(clients.map((client) => client.waitFor((text) => text.includes("line 2"))));
    expect(new Set(texts)).toEqual(
      new Set([`id: ${id}\nevent: story\ndata: {"n":1}\n\nid: ${lines}\ndata: line 1\ndata: line 2\n\n`]),
    );
    for (const client of clients) client.destroy();
  });

  it("rejects invalid fields and data with a TypeError, before anything is added", async () => {
    const stream = uniqueStream();
    const { channel } = await start(stream);
    await expect(channel.publish("x", { event: "a\nb" })).rejects.toThrow(TypeError);
    await expect(channel.publish(10n)).rejects.toThrow(TypeError);
    await expect(channel.publish(undefined)).rejects.toThrow(TypeError);
    await expect(channel.publish("x", { id: "7" } as never)).rejects.toThrow(/option "id" is not supported/);
    await expect(channel.publish("x", { retry: 5 } as never)).rejects.toThrow(/option "retry" is unknown/);
    expect(await redis.xLen(stream)).toBe(0);
  });

  it("keeps about maxLen entries", async () => {
    const stream = uniqueStream();
    const { channel } = await start(stream, { maxLen: 10 });
    await publishAll(channel, Array.from({ length: 400 }, (_, i) => `e${i}`));
    // MAXLEN ~ trims whole nodes of the stream (100 entries by default).
    const length = await redis.xLen(stream);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(400);
  });
});

describe("subscribe", () => {
  it("delivers live events, and a subscriber leaves when its client goes", async () => {
    const instance = await start();
    const [a, b] = await Promise.all([request(instance.url), request(instance.url)]);
    await instance.subscribed(2);
    expect(instance.channel.size).toBe(2);
    const one = await instance.channel.publish("one");
    await Promise.all([a!.waitFor((t) => t.includes("one")), b!.waitFor((t) => t.includes("one"))]);
    a!.destroy();
    await aborted(instance.controllers[0]!.signal);
    expect(instance.channel.size).toBe(1);
    const two = await instance.channel.publish("two");
    expect(await b!.waitFor((t) => t.includes("two"))).toBe(`id: ${one}\ndata: one\n\nid: ${two}\ndata: two\n\n`);
    b!.destroy();
  });

  it("replays the entries after Last-Event-ID, then goes live", async () => {
    const instance = await start();
    const ids = await publishAll(instance.channel, ["e1", "e2", "e3", "e4"]);
    const client = await openClient(instance, ids[1]);
    const e5 = await instance.channel.publish("e5");
    await waitForEvents(client, 3);
    expect(client.received.map((e) => [e.id, e.data])).toEqual([
      [ids[2], "e3"],
      [ids[3], "e4"],
      [e5, "e5"],
    ]);
    await client.close();
  });

  it("replays nothing to a client that saw the newest event", async () => {
    const instance = await start();
    const [, b] = await publishAll(instance.channel, ["a", "b"]);
    const client = await connect(instance, b);
    const c = await instance.channel.publish("c");
    expect(await client.waitFor((t) => t.includes("data: c"))).toBe(`id: ${c}\ndata: c\n\n`);
    client.destroy();
  });

  it("sends event: reset with the oldest kept id, then the whole window, for an id older than the window", async () => {
    const stream = uniqueStream();
    const instance = await start(stream, { maxLen: 10 });
    const ids = await publishAll(instance.channel, Array.from({ length: 400 }, (_, i) => `e${i}`));
    const kept = ((await redis.xRange(stream, "-", "+")) ?? []).map((entry) => entry.id);
    expect(kept.length).toBeLessThan(400);
    const client = await openClient(instance, ids[0]);
    await waitForEvents(client, kept.length);
    const received = client.received;
    expect(received[0]).toMatchObject({ event: "reset", data: kept[0] });
    expect(received.slice(1).map((e) => e.id)).toEqual(kept);
    expect(dataOf(received)).toEqual(kept.map((id) => `e${ids.indexOf(id)}`));
    await client.close();
  });

  it("sends event: reset for an id the stream never held, or that is not a stream id", async () => {
    const instance = await start();
    const [a] = await publishAll(instance.channel, ["a"]);
    for (const lastEventId of ["from-another-server", "5", "1-0", "99999999999999-0", "01-0"]) {
      const client = await openClient(instance, lastEventId);
      // The reset sets no id: a browser still holds the one it sent.
      expect(await client.take(2), lastEventId).toEqual([
        { event: "reset", id: lastEventId, data: a },
        { event: "message", id: a, data: "a" },
      ]);
      await client.close();
    }
  });

  it("sends event: reset with empty data when the stream is empty", async () => {
    const instance = await start();
    const client = await connect(instance, "1-0");
    await client.waitFor((t) => t.includes("event: reset"));
    const a = await instance.channel.publish("a");
    await client.waitFor((t) => t.includes("data: a"));
    expect(client.text()).toBe(`event: reset\ndata: \n\nid: ${a}\ndata: a\n\n`);
    client.destroy();
  });

  it("tells a new client the newest id with an id-only block, which sets its Last-Event-ID without firing an event", async () => {
    const instance = await start();
    const witness = await connect(instance);
    const before = await instance.channel.publish("before");
    // Once the instance has read it, it is the newest id a client can be told.
    await witness.waitFor((t) => t.includes("before"));
    const client = await connect(instance);
    const after = await instance.channel.publish("after");
    expect(await client.waitFor((t) => t.includes("after"))).toBe(`id: ${before}\n\nid: ${after}\ndata: after\n\n`);
    witness.destroy();
    expect(client.events.map((e) => e.data)).toEqual(["after"]);
    client.destroy();
  });

  it("finds the newest id of a stream that existed before this instance started", async () => {
    const stream = uniqueStream();
    const earlier = await start(stream);
    const before = await earlier.channel.publish("before");
    const later = await start(stream);
    const client = await connect(later);
    const after = await earlier.channel.publish("after");
    expect(await client.waitFor((t) => t.includes("after"))).toBe(`id: ${before}\n\nid: ${after}\ndata: after\n\n`);
    client.destroy();
  });

  it("does not tell a new client the newest id of a stream that existed before, when that entry is another user's", async () => {
    const stream = uniqueStream();
    const earlier = await start(stream);
    const shared = await earlier.channel.publish("for everyone");
    const secret = await earlier.channel.publish("for alice", { topics: ["user:alice"] });
    const later = await start(stream);
    const client = await connect(later);
    const after = await earlier.channel.publish("after");
    // Told the newest entry meant for it, if it knows one; alice's id, never.
    const text = await client.waitFor((t) => t.includes("data: after"));
    expect(text).not.toContain(secret);
    expect(text.endsWith(`id: ${after}\ndata: after\n\n`)).toBe(true);
    expect([`id: ${after}\ndata: after\n\n`, `id: ${shared}\n\nid: ${after}\ndata: after\n\n`]).toContain(text);
    client.destroy();
  });

  it("sends only what the filter accepts, replayed or live; the filter sees the data as published", async () => {
    const instance = await start(uniqueStream(), {
      subscribe: { filter: (event) => event.event === "y" && (event.data as { n: number }).n > 0 },
    });
    await instance.channel.publish({ n: 1 }, { event: "x" });
    await instance.channel.publish({ n: 1 }, { event: "y" });
    await instance.channel.publish({ n: 0 }, { event: "y" });
    const client = await openClient(instance, "0-0");
    await instance.channel.publish({ n: 2 }, { event: "x" });
    await instance.channel.publish({ n: 2 }, { event: "y" });
    await client.takeUntil((event) => event.data.includes('"n":2'));
    expect(dataOf(client.received)).toEqual(['{"n":1}', '{"n":2}']);
    await client.close();
  });

  it("delivers entries other producers add with event and data fields, and skips entries without data", async () => {
    const stream = uniqueStream();
    const instance = await start(stream);
    const client = await connect(instance);
    await redis.xAdd(stream, "*", { other: "field" });
    const note = await redis.xAdd(stream, "*", { event: "note", data: "from redis-cli" });
    await client.waitFor((t) => t.includes("from redis-cli"));
    expect(client.text()).toBe(`id: ${note}\nevent: note\ndata: from redis-cli\n\n`);
    client.destroy();
  });

  it("stops delivering after unsubscribe", async () => {
    const { channel } = await start();
    let unsubscribe: (() => void) | undefined;
    const app = express();
    app.get("/events", sse(), (_req, res) => {
      unsubscribe = channel.subscribe(res.sse);
      res.sse.send("subscribed");
    });
    const server = await listen(app);
    try {
      const client = await request(`${server.url}/events`);
      await client.waitFor((t) => t.includes("subscribed"));
      unsubscribe!();
      expect(channel.size).toBe(0);
      await channel.publish("missed");
      // A second subscriber getting it shows the first one would have by now.
      const witness = await connect(instances[0]!);
      await channel.publish("seen");
      await witness.waitFor((t) => t.includes("seen"));
      expect(client.text()).toBe("data: subscribed\n\n");
      client.destroy();
      witness.destroy();
    } finally {
      await server.close();
    }
  });
});

describe("close", () => {
  it("ends every subscriber's stream, then refuses publishing and ends later subscribers at once", async () => {
    const stream = uniqueStream();
    const channel = await createRedisChannel({ url: redisUrl, stream });
    const instance = await start(stream);
    const clients = await Promise.all([connect(instance), connect(instance)]);
    const last = await channel.publish("last");
    await Promise.all(clients.map((client) => client.waitFor((t) => t.includes("last"))));
    await instance.channel.close();
    expect(instance.channel.size).toBe(0);
    for (const client of clients) expect(await client.ended).toBe(`id: ${last}\ndata: last\n\n`);
    await expect(instance.channel.publish("after")).rejects.toThrow(/closed channel/);
    expect(await (await request(instance.url)).ended).toBe("");
    await channel.close();
  });

  it("is idempotent, and the stream stays in Redis for the other instances", async () => {
    const stream = uniqueStream();
    const instance = await start(stream);
    await instance.channel.publish("kept");
    await Promise.all([instance.channel.close(), instance.channel.close()]);
    expect(await redis.xLen(stream)).toBe(1);
  });
});
