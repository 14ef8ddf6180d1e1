// channel.close() while a subscriber is still catching up (its replay
// waiting for a slow client) ends that stream where the replay stands:
// what it got is a gapless run of the kept events, so its Last-Event-ID
// resumes it exactly, and no live event jumps the part it never got.
import { afterEach, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { Arrivals, listen, slowUntil, withSse, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it("ends a replaying subscriber where its replay stands, without the live events it held", async () => {
  const channel = createChannel({ history: 1000 });
  for (let n = 1; n <= 300; n += 1) channel.publish(`old ${n}`);
  // A client that is slow until the test says so: the replay waits on drain() after its first event.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const arrivals = new Arrivals<SseController>();
  server = await listen(
    withSse(sse({ keepAlive: false }), (_req, res) => {
      channel.subscribe(slowUntil(res.sse, released));
      arrivals.push(res.sse);
    }),
  );
  const client = await server.request("/", { headers: { "Last-Event-ID": "100" } });
  await arrivals.atLeast(1);
  channel.publish("live");
  channel.close();
  release();
  const body = await client.ended;
  expect(client.events.map((event) => event.data)).toEqual(["old 101"]);
  expect(body).not.toContain("live");
  expect(channel.size).toBe(0);
});
