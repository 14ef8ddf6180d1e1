// A filter runs while its channel's pass goes over the subscribers. An
// unsubscribe or a new subscribe of a stream made there takes effect after
// that pass: the events published before the call reach that stream under
// the rules it had, whether the pass had come to it yet or not.
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { Arrivals, listen, withSse, type RawStream, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const dataOf = (client: RawStream): string[] => client.events.map((event) => event.data);

/** Subscribes each request; the first subscriber's filter runs `act(n)` at event "a2", before the pass reaches the others. */
async function serveWithFirstFilter(
  channel: ReturnType<typeof createChannel>,
  act: (subscribers: { stream: SseController; unsubscribe: () => void }[]) => void,
): Promise<RawStream[]> {
  const subscribers: { stream: SseController; unsubscribe: () => void }[] = [];
  const arrivals = new Arrivals<SseController>();
  server = await listen(
    withSse(sse({ keepAlive: false }), (_req, res) => {
      const first = subscribers.length === 0;
      const unsubscribe = channel.subscribe(res.sse, {
        filter: (event) => {
          if (first && event.data === "a2") act(subscribers);
          return true;
        },
      });
      subscribers.push({ stream: res.sse, unsubscribe });
      arrivals.push(res.sse);
    }),
  );
  const clients: RawStream[] = [];
  for (let n = 1; n <= 2; n += 1) {
    clients.push(await server.request("/"));
    await arrivals.atLeast(n);
  }
  return clients;
}

describe("from inside a filter", () => {
  it("unsubscribing another stream, which the pass has not reached yet, leaves it the events published before the call", async () => {
    const channel = createChannel();
    const [first, second] = await serveWithFirstFilter(channel, (subscribers) => subscribers[1]!.unsubscribe());
    for (const data of ["a1", "a2", "a3"]) channel.publish(data);
    await first!.waitFor((text) => text.includes("data: a3"));
    channel.publish("after");
    await first!.waitFor((text) => text.includes("data: after"));
    expect(channel.size).toBe(1);
    expect(dataOf(second!)).toEqual(["a1", "a2", "a3"]);
  });

  it("subscribing another stream again applies its new filter only to what is published after the call", async () => {
    const channel = createChannel();
    const [, second] = await serveWithFirstFilter(channel, (subscribers) =>
      channel.subscribe(subscribers[1]!.stream, { topics: ["x"], filter: (event) => !String(event.data).endsWith("3") }),
    );
    for (const data of ["a1", "a2", "a3"]) channel.publish(data);
    await second!.waitFor((text) => text.includes("data: a2"));
    for (const data of ["b3", "for x"]) channel.publish(data, { topics: ["x"] });
    channel.publish("end");
    await second!.waitFor((text) => text.includes("data: end"));
    expect(dataOf(second!)).toEqual(["a1", "a2", "a3", "for x", "end"]);
  });
});
