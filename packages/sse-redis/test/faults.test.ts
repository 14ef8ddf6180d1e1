// Redis going away, coming back, or cutting the reader: publishing fails
// loudly, subscribers stay connected and keep getting heartbeats, and
// nothing within the stream's window is lost. Each test has a redis-server
// of its own, since it stops, restarts or disturbs it.
import { createClient } from "redis";
import { afterEach, describe, expect, it } from "vitest";
import type { RedisChannel } from "sse-middleware-redis";
import { delay, type RawStream } from "sse-testkit/http";
import { connect, openClient, receivedId, startInstance, uniqueStream, type Instance } from "./instances.js";
import { startRedisServer, type RedisServer } from "sse-testkit/redis-server";

let servers: RedisServer[] = [];
let instances: Instance[] = [];
afterEach(async () => {
  await Promise.all(instances.map((instance) => instance.close()));
  await Promise.all(servers.map((server) => server.remove()));
  instances = [];
  servers = [];
});

async function setUp(appendOnly: boolean, count: number) {
  const server = await startRedisServer({ appendOnly });
  servers.push(server);
  const stream = uniqueStream();
  const started: Instance[] = [];
  for (let n = 0; n < count; n += 1) {
    started.push(await startInstance(server.url, stream, { sse: { keepAlive: 50 } }));
  }
  instances.push(...started);
  return { server, instances: started };
}

/** Publishes once Redis takes it: the connection comes back by itself, with backoff. */
async function publishWhenBack(channel: RedisChannel, data: string): Promise<string> {
  for (;;) {
    try {
      return await channel.publish(data);
    } catch {
      await delay(50);
    }
  }
}

function heartbeats(client: RawStream): number {
  return client.text().split(":\n\n").length - 1;
}

function received(client: RawStream, id: string): Promise<unknown> {
  return client.waitFor(() => client.events.some((event) => event.id === id));
}

describe("when Redis restarts", () => {
  it("rejects publish while it is down, keeps subscribers connected with heartbeats, and resumes after", async () => {
    const { server, instances: [a, b] } = await setUp(true, 2);
    const clients = [await connect(a!), await connect(b!)];
    const ids = [await a!.channel.publish("e0"), await b!.channel.publish("e1")];
    for (const client of clients) await received(client, ids[1]!);

    await server.stop();
    await expect(a!.channel.publish("lost")).rejects.toThrow(
      new RegExp(`^Cannot publish to Redis stream ".+" at redis://127\\.0\\.0\\.1:${server.port}: `),
    );
    await expect(b!.channel.publish("lost")).rejects.toThrow(Error);
    for (const client of clients) {
      const before = heartbeats(client);
      await client.waitFor(() => heartbeats(client) >= before + 2);
    }
    expect([...a!.controllers, ...b!.controllers].every((controller) => !controller.closed)).toBe(true);

    // The append-only file brings the stream back as it was.
    await server.start();
    ids.push(await publishWhenBack(a!.channel, "e2"));
    ids.push(await publishWhenBack(b!.channel, "e3"));
    for (const client of clients) {
      await received(client, ids[3]!);
      expect(client.events.map((event) => [event.id, event.data])).toEqual(ids.map((id, n) => [id, `e${n}`]));
    }
    const resumed = await connect(b!, ids[0]);
    await received(resumed, ids[3]!);
    expect(resumed.events.map((event) => event.data)).toEqual(["e1", "e2", "e3"]);
    for (const client of [...clients, resumed]) client.destroy();
  });

  it("without persistence, tells connected clients (reset) and goes on with the new stream, and resets clients resuming from the lost one", async () => {
    const { server, instances: [a] } = await setUp(false, 1);
    const client = await openClient(a!);
    const before = [await a!.channel.publish("e0"), await a!.channel.publish("e1")];
    await receivedId(client, before[1]!);

    await server.stop();
    await server.start(); // empty: the stream is gone
    const after = await publishWhenBack(a!.channel, "e2");
    await receivedId(client, after);
    // The stream it was reading is gone: it cannot tell what it missed.
    expect(client.received.map((event) => [event.event, event.data])).toEqual([
      ["message", "e0"],
      ["message", "e1"],
      ["reset", after],
      ["message", "e2"],
    ]);

    const resumed = await openClient(a!, before[1]);
    await receivedId(resumed, after);
    expect(resumed.received.map((event) => [event.event, event.data])).toEqual([
      ["reset", after],
      ["message", "e2"],
    ]);
    await Promise.all([client.close(), resumed.close()]);
  });

  it("keeps a client that resumes while Redis is down connected, and replays to it once Redis is back", async () => {
    const { server, instances: [a] } = await setUp(true, 1);
    const ids = [await a!.channel.publish("e0"), await a!.channel.publish("e1")];
    await server.stop();
    const client = await connect(a!, ids[0]);
    const before = heartbeats(client);
    await client.waitFor(() => heartbeats(client) >= before + 2);
    expect(client.events).toEqual([]);
    await server.start();
    ids.push(await publishWhenBack(a!.channel, "e2"));
    await received(client, ids[2]!);
    expect(client.events.map((event) => [event.id, event.data])).toEqual([
      [ids[1], "e1"],
      [ids[2], "e2"],
    ]);
    client.destroy();
  });
});

describe("when the reader's connection is cut", () => {
  it("reconnects and reads on from the last id it saw: clients miss nothing", async () => {
    const { server, instances: [a, b] } = await setUp(false, 2);
    const clients = [await openClient(a!), await openClient(b!)];
    const ids = [await a!.channel.publish("e0")];
    for (const client of clients) await receivedId(client, ids[0]!);

    const admin = createClient({ url: server.url });
    await admin.connect();
    try {
      const list = await admin.sendCommand(["CLIENT", "LIST"]);
      const readers = String(list)
        .split("\n")
        .filter((line) => line.includes("name=sse-middleware-redis:reader"))
        .map((line) => /\bid=(\d+)/.exec(line)![1]!);
      expect(readers).toHaveLength(2);
      for (const id of readers) await admin.sendCommand(["CLIENT", "KILL", "ID", id]);
      // Published while both readers are away.
      for (let n = 1; n <= 20; n += 1) ids.push(await (n % 2 === 0 ? a! : b!).channel.publish(`e${n}`));
    } finally {
      await admin.close();
    }
    for (const client of clients) {
      await receivedId(client, ids.at(-1)!);
      expect(client.received.map((event) => event.id)).toEqual(ids);
      await client.close();
    }
  });
});
