// A filter runs while its channel delivers a tick's events. Whatever it does
// to a stream there (send, comment, close, or the middleware's shutdown)
// happens after those events were published, so on the wire it comes
// after them, on its own stream and on any other.
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { Arrivals, listen, withSse, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const dataOf = (events: { data: string }[]): string[] => events.map((event) => event.data);

describe("a stream call from inside a filter", () => {
  it("puts its own send and comment after the events of the pass that ran the filter", async () => {
    const channel = createChannel();
    const arrivals = new Arrivals<SseController>();
    server = await listen(
      withSse(sse({ keepAlive: false }), (_req, res) => {
        channel.subscribe(res.sse, {
          filter: (event) => {
            if (event.data === "a2") {
              res.sse.comment("from the filter");
              res.sse.send("sent from the filter");
            }
            return true;
          },
        });
        arrivals.push(res.sse);
      }),
    );
    const client = await server.request("/");
    await arrivals.atLeast(1);
    for (const data of ["a1", "a2", "a3"]) channel.publish(data);
    await client.waitFor((text) => text.includes("sent from the filter"));
    expect(client.text()).toBe(
      "id: 1\ndata: a1\n\nid: 2\ndata: a2\n\nid: 3\ndata: a3\n\n: from the filter\n\ndata: sent from the filter\n\n",
    );
  });

  it("closes its own stream after every event published before the call, and refuses sends after it", async () => {
    const channel = createChannel();
    const seen: unknown[] = [];
    const arrivals = new Arrivals<SseController>();
    server = await listen(
      withSse(sse({ keepAlive: false }), (_req, res) => {
        channel.subscribe(res.sse, {
          filter: (event) => {
            if (event.data === "a2") {
              res.sse.close();
              seen.push(res.sse.closed, res.sse.send("after close"));
            }
            return true;
          },
        });
        arrivals.push(res.sse);
      }),
    );
    const client = await server.request("/");
    await arrivals.atLeast(1);
    for (const data of ["a1", "a2", "a3"]) channel.publish(data);
    expect(await client.ended).toBe("id: 1\ndata: a1\n\nid: 2\ndata: a2\n\nid: 3\ndata: a3\n\n");
    expect(seen).toEqual([true, false]);
    expect(channel.size).toBe(0);
  });

  it("on another stream, comes after the events the pass delivers to that stream", async () => {
    const channel = createChannel();
    const arrivals = new Arrivals<SseController>();
    server = await listen(
      withSse(sse({ keepAlive: false }), (_req, res) => {
        const own = res.sse;
        channel.subscribe(own, {
          filter: (event) => {
            // The first subscriber's filter writes to the second stream.
            if (arrivals.items[0] === own && event.data === "a1") arrivals.items[1]!.send("to the other");
            return true;
          },
        });
        arrivals.push(own);
      }),
    );
    const first = await server.request("/");
    await arrivals.atLeast(1);
    const second = await server.request("/");
    await arrivals.atLeast(2);
    for (const data of ["a1", "a2"]) channel.publish(data);
    await second.waitFor((text) => text.includes("to the other"));
    expect(dataOf(second.events)).toEqual(["a1", "a2", "to the other"]);
    await first.waitFor((text) => text.includes("a2"));
  });

  it("that shuts the middleware down still delivers the pass's events to every stream first", async () => {
    const channel = createChannel();
    const events = sse({ keepAlive: false });
    const arrivals = new Arrivals<SseController>();
    let closing: Promise<void> | undefined;
    server = await listen(
      withSse(events, (_req, res) => {
        channel.subscribe(res.sse, {
          filter: (event) => {
            if (event.data === "a1" && closing === undefined) closing = events.close({ retryWindow: 0 });
            return true;
          },
        });
        arrivals.push(res.sse);
      }),
    );
    const clients = [await server.request("/"), await server.request("/")];
    await arrivals.atLeast(2);
    for (const data of ["a1", "a2"]) channel.publish(data);
    for (const client of clients) expect(await client.ended).toBe("id: 1\ndata: a1\n\nid: 2\ndata: a2\n\n");
    await closing;
  });
});
