// A Redis that stops answering without closing anything (its process
// paused with SIGSTOP, as a hung host or a stalled VM would be): the kernel
// keeps the connections open and takes every write, so only time tells.
// Every publish settles within the documented bound, pending publishes are
// capped, close() resolves, and once Redis runs again everything whose
// publish resolved reaches every client, once, in order.
import { afterEach, describe, expect, it } from "vitest";
import type { RedisChannel } from "sse-middleware-redis";
import { delay, type RawStream } from "sse-testkit/http";
import { compareStreamIds } from "../src/stream-id.js";
import { connect, startInstance, uniqueStream, type Instance } from "./instances.js";
import { startRedisServer, type RedisServer } from "sse-testkit/redis-server";

/** What the README promises: a publish Redis does not answer rejects within this. */
const PROMISED_MS = 15_000;
const PASSWORD = "s3cret-pw";

let servers: RedisServer[] = [];
let instances: Instance[] = [];
afterEach(async () => {
  for (const server of servers) if (server.running) server.resume();
  await Promise.all(instances.map((instance) => instance.close()));
  await Promise.all(servers.map((server) => server.remove()));
  instances = [];
  servers = [];
});

async function setUp(count: number) {
  const server = await startRedisServer({ password: PASSWORD });
  servers.push(server);
  const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
  const stream = uniqueStream();
  const started: Instance[] = [];
  for (let n = 0; n < count; n += 1) started.push(await startInstance(url, stream, { sse: { keepAlive: 1000 } }));
  instances.push(...started);
  return { server, instances: started };
}

/** A promise's outcome, and how long it took to settle. */
interface Outcome<T> {
  readonly result: PromiseSettledResult<T>;
  readonly ms: number;
}

/** Tracks a promise: whether it has settled yet, and how. */
function track<T>(promise: Promise<T>): { settled: boolean; outcome: Promise<Outcome<T>> } {
  const started = performance.now();
  const tracked = { settled: false, outcome: undefined as unknown as Promise<Outcome<T>> };
  tracked.outcome = Promise.allSettled([promise]).then(([result]) => {
    tracked.settled = true;
    return { result: result!, ms: performance.now() - started };
  });
  return tracked;
}

/** Resolves with the promise's value, or rejects if it has not settled after `ms` (a generous bound). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} had not settled after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishes once Redis takes it: the connections come back by themselves. */
async function publishWhenBack(channel: RedisChannel, data: string): Promise<string> {
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    try {
      return await channel.publish(data);
    } catch {
      await delay(50);
    }
  }
  throw new Error("Redis never came back");
}

function received(client: RawStream, id: string): Promise<unknown> {
  return client.waitFor(() => client.events.some((event) => event.id === id));
}

describe("while Redis is frozen", () => {
  it("settles every publish within the bound, with an Error naming the server (no password) and why; after, nothing that resolved is lost", async () => {
    const { server, instances: [a, b] } = await setUp(2);
    const clients = [await connect(a!), await connect(b!)];
    const resolved = [await a!.channel.publish("before")];
    for (const client of clients) await received(client, resolved[0]!);

    server.pause();
    // A publish every 100 ms, as steady traffic would: the writes never let
    // the connection look idle. Until 20 more were made after the first
    // rejection (at most 40 s of them).
    const published: ReturnType<typeof track<string>>[] = [];
    let afterFirstRejection = 0;
    for (let n = 0; n < 400 && afterFirstRejection < 20; n += 1) {
      published.push(track(a!.channel.publish(`frozen ${n}`)));
      if (published.some((publish) => publish.settled)) afterFirstRejection += 1;
      await delay(100);
    }
    const outcomes = await within(Promise.all(published.map((publish) => publish.outcome)), PROMISED_MS, "the publishes");
    server.resume();

    expect(afterFirstRejection).toBe(20);
    const reasons = outcomes.map(({ result }) => (result.status === "rejected" ? (result.reason as Error) : result.value));
    for (const [n, { result, ms }] of outcomes.entries()) {
      expect(result.status, `publish ${n}`).toBe("rejected");
      expect(ms, `publish ${n} settled after ${Math.round(ms)} ms`).toBeLessThan(PROMISED_MS);
    }
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(Error);
      expect((reason as Error).message).toMatch(
        new RegExp(`^Cannot publish to Redis stream ".+" at redis://\\*\\*\\*@127\\.0\\.0\\.1:${server.port}: .+`),
      );
      expect((reason as Error).message).not.toContain(PASSWORD);
    }
    // The first ones were sent and never answered: the message says so.
    expect((reasons[0] as Error).message).toMatch(/no reply from Redis within \d+ ms/);

    // Redis runs again: both instances publish and deliver again.
    resolved.push(await publishWhenBack(a!.channel, "after a"));
    resolved.push(await publishWhenBack(b!.channel, "after b"));
    for (const client of clients) {
      await received(client, resolved.at(-1)!);
      const ids = client.events.map((event) => event.id!);
      // Once each, in stream order; a publish that timed out may still have
      // reached Redis, so it may be there too, but everything that resolved is.
      for (let n = 1; n < ids.length; n += 1) expect(compareStreamIds(ids[n - 1]!, ids[n]!)).toBeLessThan(0);
      expect(ids.filter((id) => resolved.includes(id))).toEqual(resolved);
      expect(client.events.every((event) => event.event === undefined)).toBe(true);
      client.destroy();
    }
  }, 90_000);

  it("rejects a publish at once while 1,000 already wait for Redis", async () => {
    const { server, instances: [a] } = await setUp(1);
    await a!.channel.publish("warm up");
    server.pause();
    const waiting = Array.from({ length: 1000 }, (_, n) => track(a!.channel.publish(`waiting ${n}`)));
    const overflow = track(a!.channel.publish("one too many"));
    const { result } = await within(overflow.outcome, PROMISED_MS, "the publish past the cap");
    // It did not wait for the others' fate: they were still pending.
    expect(waiting.some((publish) => publish.settled)).toBe(false);
    expect(result.status).toBe("rejected");
    expect((result as PromiseRejectedResult).reason).toEqual(
      expect.objectContaining({
        message: expect.stringMatching(/^Cannot publish to Redis stream ".+" at redis:\/\/\*\*\*@127\.0\.0\.1:\d+: 1000 publishes are already waiting for Redis$/),
      }),
    );
    server.resume();
    await within(Promise.all(waiting.map((publish) => publish.outcome)), PROMISED_MS, "the waiting publishes");
  }, 60_000);

  it("close() resolves within the bound, ending subscribers and settling a pending publish", async () => {
    const { server, instances: [a] } = await setUp(1);
    const client = await connect(a!);
    const id = await a!.channel.publish("before");
    await received(client, id);
    server.pause();
    const pending = track(a!.channel.publish("pending"));
    await within(a!.channel.close(), PROMISED_MS, "close()");
    await client.ended;
    const { result } = await within(pending.outcome, PROMISED_MS, "the pending publish");
    expect(result.status).toBe("rejected");
    await expect(a!.channel.publish("after")).rejects.toThrow("Cannot publish on a closed channel");
    server.resume();
  }, 60_000);
});
