// Subscribing a stream that is already subscribed replaces its topics and
// filter: the stream keeps its place in the channel. Nothing is replayed a
// second time, nothing published before the call is lost, and no second
// join block moves its Last-Event-ID past events it never got.
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { serveStreams as serveEach, slowUntil, type Arrivals, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serveStreams(handle: (stream: SseController) => void): Promise<Arrivals<SseController>> {
  const served = await serveEach(sse({ keepAlive: false }), handle);
  server = served.server;
  return served.arrivals;
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
    const slowStreams: SseController[] = [];
    await serveStreams((stream) => {
      const slow = slowUntil(stream, released);
      slowStreams.push(slow);
      channel.subscribe(slow);
    });
    const client = await server!.request("/", { headers: { "Last-Event-ID": "0x" } });
    await client.waitFor((text) => text.includes("data: 1\n"));
    channel.publish("b1", { topics: ["b"] });
    channel.publish("u1");
    channel.subscribe(slowStreams[0]!, { topics: ["b"] });
    channel.publish("b2", { topics: ["b"] });
    channel.publish("c1", { topics: ["c"] });
    channel.publish("end");
    release();
    await client.waitFor((text) => text.includes("data: end"));
    const events = client.events.filter((event) => event.event !== "reset");
    expect(dataOf(events)).toEqual([...Array.from({ length: 300 }, (_, i) => String(i + 1)), "b1", "u1", "b2", "end"]);
  });
});
