// Several instances, one stream: what a client gets does not depend on
// which instance it is connected to, or on how often it changes instance.
import { afterEach, describe, expect, inject, it } from "vitest";
import http from "node:http";
import { createParser } from "eventsource-parser";
import type { EventStream } from "sse-middleware/testing";
import { compareStreamIds } from "../src/stream-id.js";
import { openClient, receivedId, startInstance, uniqueStream, type Instance } from "./instances.js";

const redisUrl = inject("redisUrl");

let instances: Instance[] = [];
afterEach(async () => {
  await Promise.all(instances.map((instance) => instance.close()));
  instances = [];
});

async function startInstances(count: number, stream = uniqueStream()): Promise<Instance[]> {
  const started = await Promise.all(Array.from({ length: count }, () => startInstance(redisUrl, stream)));
  instances.push(...started);
  return started;
}

function idsOf(client: EventStream): string[] {
  return client.received.map((event) => event.id);
}

describe("a channel across instances", () => {
  it("delivers what is published on one instance to clients of every instance", async () => {
    const [a, b] = await startInstances(2);
    const clients = [await openClient(a!), await openClient(a!), await openClient(b!), await openClient(b!)];
    const ids: string[] = [];
    for (let n = 0; n < 10; n += 1) ids.push(await (n % 2 === 0 ? a! : b!).channel.publish({ n }));
    for (const client of clients) {
      await receivedId(client, ids.at(-1)!);
      expect(idsOf(client)).toEqual(ids);
      expect(client.received.map((event) => JSON.parse(event.data) as { n: number })).toEqual(
        ids.map((_, n) => ({ n })),
      );
      await client.close();
    }
  });

  it("lets a client move instance mid-stream with its Last-Event-ID, missing nothing", async () => {
    const [a, b] = await startInstances(2);
    const ids: string[] = [];
    const publish = async (on: Instance, count: number): Promise<void> => {
      for (let n = 0; n < count; n += 1) ids.push(await on.channel.publish(`e${ids.length}`));
    };
    const first = await openClient(a!);
    await publish(a!, 5);
    await receivedId(first, ids[4]!);
    await first.close();
    await publish(b!, 5); // while the client is away
    const second = await openClient(b!, first.lastEventId);
    await publish(a!, 5);
    await receivedId(second, ids[14]!);
    expect([...idsOf(first), ...idsOf(second)]).toEqual(ids);
    expect(second.received.map((event) => event.data)).toEqual(ids.slice(5).map((_, n) => `e${n + 5}`));
    await second.close();
  });

  it("lets a client hop between instances while events keep coming, getting each exactly once, in order", async () => {
    const [a, b] = await startInstances(2);
    const total = 300;
    const ids: string[] = [];
    const connections: EventStream[] = [await openClient(a!)];
    const publishing = (async () => {
      for (let n = 0; n < total; n += 1) ids.push(await (n % 2 === 0 ? a! : b!).channel.publish(`e${n}`));
    })();
    for (let hop = 1; hop <= 8; hop += 1) {
      const current = connections.at(-1)!;
      // Leave after a few more events, wherever the publisher has got to.
      const seen = current.received.length;
      const leave = (): boolean => current.received.length >= seen + 5 || ids.length === total;
      if (!leave()) await current.takeUntil(leave);
      await current.close();
      // What a browser sends back: the last id it saw, on this connection or before it.
      const lastId = current.lastEventId;
      connections.push(await openClient(hop % 2 === 0 ? a! : b!, lastId === "" ? undefined : lastId));
    }
    await publishing;
    const last = connections.at(-1)!;
    await receivedId(last, ids.at(-1)!);
    expect(connections.flatMap(idsOf)).toEqual(ids);
    await last.close();
  });

  it("sends 1,000 events published over 3 instances to every client of every instance, each exactly once, in order", async () => {
    const trio = await startInstances(3);
    const clients: EventStream[] = [];
    for (const instance of trio) for (let n = 0; n < 3; n += 1) clients.push(await openClient(instance));
    const ids: string[] = [];
    const published = new Map<string, string>();
    for (let batch = 0; batch < 10; batch += 1) {
      // A hundred at a time from all three instances at once: Redis decides the order.
      const batchIds = await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const n = batch * 100 + i;
          return trio[n % 3]!.channel.publish({ n }).then((id) => {
            published.set(id, JSON.stringify({ n }));
            return id;
          });
        }),
      );
      ids.push(...batchIds);
    }
    ids.sort(compareStreamIds);
    expect(new Set(ids).size).toBe(1000);
    for (const client of clients) {
      await receivedId(client, ids.at(-1)!);
      expect(idsOf(client)).toEqual(ids);
      expect(client.received.map((event) => event.data)).toEqual(ids.map((id) => published.get(id)));
      await client.close();
    }
  });

  it("switches clients resuming on another instance from replay to live with no gap and no duplicate while events pour in", async () => {
    const [a, b] = await startInstances(2);
    const ids: string[] = [];
    // Every tenth event is large, so replays pause for clients to drain.
    const payload = (n: number): string => (n % 10 === 0 ? `${n}:${"x".repeat(20_000)}` : String(n));
    for (let n = 0; n < 200; n += 1) ids.push(await a!.channel.publish(payload(n)));
    const publishing = (async () => {
      for (let n = 200; n < 500; n += 1) ids.push(await a!.channel.publish(payload(n)));
    })();
    const resumed: { client: EventStream; lastEventId: string }[] = [];
    for (let k = 0; k < 12; k += 1) {
      // Resume points spread over the history, taken while publishing goes on.
      const lastEventId = ids[Math.floor((ids.length - 1) * (k / 12))]!;
      resumed.push({ client: await openClient(b!, lastEventId), lastEventId });
    }
    await publishing;
    for (const { client, lastEventId } of resumed) {
      await receivedId(client, ids.at(-1)!);
      const expected = ids.filter((id) => compareStreamIds(id, lastEventId) > 0);
      expect(idsOf(client)).toEqual(expected);
      expect(client.received.map((event) => event.data)).toEqual(expected.map((id) => payload(ids.indexOf(id))));
      await client.close();
    }
  });

  it("bounds what it holds for a replaying client that stopped reading, and still leaves no gap and no duplicate", async () => {
    const stream = uniqueStream();
    const [a, b] = [await startInstance(redisUrl, stream, { maxLen: 20_000 }), await startInstance(redisUrl, stream)];
    instances.push(a, b);
    // Enough history to fill the socket's buffers, so the replay waits for the client.
    const large = "x".repeat(20_000);
    const history = await Promise.all(Array.from({ length: 1000 }, (_, n) => a.channel.publish(`${n}:${large}`)));
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(b.url, { agent: false, headers: { "Last-Event-ID": history[0]! } }, resolve).on("error", reject);
    });
    response.pause(); // the client stops reading
    await b.subscribed(1);
    // More live entries than a replaying client may have held for it (10,000).
    const live: string[] = [];
    for (let batch = 0; batch < 21; batch += 1) {
      live.push(...(await Promise.all(Array.from({ length: 500 }, (_, n) => a.channel.publish(`live ${batch}.${n}`)))));
    }
    const expected = [...history.slice(1), ...live].sort(compareStreamIds);
    const ids: (string | undefined)[] = [];
    const parser = createParser({ onEvent: (event) => ids.push(event.id) });
    await new Promise<void>((resolve) => {
      response.setEncoding("utf8");
      response.on("data", (text: string) => {
        parser.feed(text);
        if (ids.at(-1) === expected.at(-1)) resolve();
      });
      response.resume();
    });
    expect(ids).toEqual(expected);
    response.destroy();
  });
});
