// Subscribing a stream that is already subscribed replaces its topics and
// filter: the stream keeps its place in the channel. Nothing is replayed a
// second time, nothing published before the call is lost, and no second
// join block moves its Last-Event-ID past events it never got.
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { Arrivals, listen, withSse, type TestServer } from "./http-harness.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serveStreams(handle: (stream: SseController) => void): Promise<Arrivals<SseController>> {
  const arrivals = new Arrivals<SseController>();
  server = await listen(
    withSse(sse({ keepAlive: false }), (_req, res) => {
      handle(res.sse);
      arrivals.push(res.sse);
    }),
  );
  return arrivals;
}

const dataOf = (events: { data: string }[]): string[] => events.map((event) => event.data);

describe("subscribing the same stream again", () => {
  it("replays the kept events once, not once per subscribe", async () => {
    const channel = createChannel({ history: 10 });
    for (const data of ["1", "2", "3"]) channel.publish(data);
    await serveStreams((stream) => {
      channel.subscribe(stream);
      channel.subscribe(stream, { topics: ["news"] });
    });
    const client = await server!.request("/", { headers: { "Last-Event-ID": "1" } });
    await client.waitFor((text) => text.includes("data: 3"));
    channel.publish("end");
    await client.waitFor((text) => text.includes("data: end"));
    expect(client.text()).toBe("id: 2\ndata: 2\n\nid: 3\ndata: 3\n\nid: 4\ndata: end\n\n");
  });

  it("delivers what was published before the call under the old topics, and what follows under the new ones", async () => {
    const channel = createChannel({ history: 10 });
    const arrivals = await serveStreams((stream) => channel.subscribe(stream));
    const client = await server!.request("/");
    await arrivals.atLeast(1);
    channel.publish("before");
    channel.subscribe(arrivals.items[0]!, { topics: ["x"] });
    channel.publish("for x", { topics: ["x"] });
    channel.publish("for y", { topics: ["y"] });
    channel.publish("end");
    await client.waitFor((text) => text.includes("data: end"));
    // No second id-only block: the stream's place did not move.
    expect(client.text()).toBe("id: 1\ndata: before\n\nid: 2\ndata: for x\n\nid: 4\ndata: end\n\n");
  });

  it("during a replay paused for a slow client, goes on from where the replay stands, with the new topics", async () => {
    const channel = createChannel({ history: 1000 });
    for (let n = 1; n <= 300; n += 1) channel.publish(String(n));
    // A client that is slow until the test says so: the replay waits on drain() after its first event.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let slow = true;
    const gatedStreams: SseController[] = [];
    const arrivals = await serveStreams((stream) => {
      const gated: SseController = {
        send: (data, options) => stream.send(data, options),
        sendPrepared: (event) => stream.sendPrepared(event),
        pipe: (source, options) => stream.pipe(source, options),
        drain: () => released.then(() => stream.drain()),
        get bufferedBytes() {
          return slow ? Number.MAX_SAFE_INTEGER : stream.bufferedBytes;
        },
        comment: (text) => stream.comment(text),
        open: () => stream.open(),
        close: () => stream.close(),
        get lastEventId() {
          return stream.lastEventId;
        },
        get signal() {
          return stream.signal;
        },
        get closed() {
          return stream.closed;
        },
      };
      gatedStreams.push(gated);
      channel.subscribe(gated);
    });
    const client = await server!.request("/", { headers: { "Last-Event-ID": "0x" } });
    await arrivals.atLeast(1);
    await client.waitFor((text) => text.includes("data: 1\n"));
    channel.publish("b1", { topics: ["b"] });
    channel.publish("u1");
    channel.subscribe(gatedStreams[0]!, { topics: ["b"] });
    channel.publish("b2", { topics: ["b"] });
    channel.publish("c1", { topics: ["c"] });
    channel.publish("end");
    slow = false;
    release();
    await client.waitFor((text) => text.includes("data: end"));
    const events = client.events.filter((event) => event.event !== "reset");
    expect(dataOf(events)).toEqual([...Array.from({ length: 300 }, (_, i) => String(i + 1)), "b1", "u1", "b2", "end"]);
  });
});
