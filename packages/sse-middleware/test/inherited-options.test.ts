// Options are a plain object's own keys. An inherited key is never an
// option: not one from a prototype the app made, and not one a prototype
// pollution bug elsewhere in the process put on Object.prototype, which
// would otherwise forge fields on the wire, subscribe everyone to a
// user's private topic, or lift the slow-client bound.
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, prepareEvent, sse, type SseController } from "sse-middleware";
import { Arrivals, listen, withSse, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs `body` with `key` set on Object.prototype, as a prototype pollution elsewhere would leave it. */
function polluted<T>(key: string, value: unknown, body: () => T): T {
  Object.defineProperty(Object.prototype, key, { value, enumerable: true, configurable: true, writable: true });
  try {
    return body();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

describe("a polluted Object.prototype", () => {
  it("puts no field on the wire through send(), with or without options", async () => {
    server = await listen(
      withSse(sse({ keepAlive: false }), (_req, res) => {
        polluted("id", "1\ndata: forged", () => {
          res.sse.send("plain");
          res.sse.send("named", { event: "note" });
        });
        polluted("event", "forged", () => res.sse.comment("between"));
        polluted("event", "forged", () => res.sse.send("unnamed"));
        res.sse.close();
      }),
    );
    const client = await server.request("/");
    expect(await client.ended).toBe("data: plain\n\nevent: note\ndata: named\n\n: between\n\ndata: unnamed\n\n");
  });

  it("makes no prepared event carry an inherited id or event", () => {
    const event = polluted("id", "forged", () => polluted("event", "forged", () => prepareEvent("x", { retry: 5 })));
    expect(event.text).toBe("retry: 5\ndata: x\n\n");
  });

  it("neither subscribes a stream to an inherited topic nor targets a publish at one", async () => {
    const channel = createChannel({ history: 10 });
    const arrivals = new Arrivals<SseController>();
    server = await listen(
      withSse(sse({ keepAlive: false }), (_req, res) => {
        polluted("topics", ["user:alice"], () => channel.subscribe(res.sse));
        arrivals.push(res.sse);
      }),
    );
    const bob = await server.request("/");
    await arrivals.atLeast(1);
    channel.publish("for alice only", { topics: ["user:alice"] });
    polluted("topics", ["user:alice"], () => channel.publish("for everyone"));
    await bob.waitFor((text) => text.includes("for everyone"));
    expect(bob.events.map((event) => event.data)).toEqual(["for everyone"]);
    expect(bob.text()).not.toContain("alice");
  });

  it("lifts no limit of sse(): an inherited retry or maxBufferedBytes is not an option", async () => {
    const events = polluted("retry", 1234, () => polluted("maxBufferedBytes", Infinity, () => sse({ keepAlive: false })));
    const gone = new Arrivals<number>();
    server = await listen(
      withSse(events, (_req, res) => {
        res.sse.signal.addEventListener("abort", () => gone.push(1));
        // 2 MiB a turn to a client that stopped reading, until it is cut (bounded: 40 turns).
        let turns = 0;
        const timer = setInterval(() => {
          turns += 1;
          if (!res.sse.send("x".repeat(2 * 1024 * 1024)) || turns === 40) clearInterval(timer);
        }, 20);
      }),
    );
    const client = await server.request("/");
    client.pause();
    // The default 1 MiB bound cuts it; with the inherited Infinity it would be kept for all 80 MiB.
    await gone.atLeast(1);
    expect(client.text()).not.toContain("retry:");
  });
});

describe("an options object with a prototype of the app's own", () => {
  it("reads only its own keys, for every factory and method", () => {
    const inherited = <T extends object>(keys: T): T => Object.create(keys) as T;
    const channel = createChannel(inherited({ history: -1 }));
    expect(channel.size).toBe(0);
    expect(() => channel.publish("x", inherited({ topics: [] }))).not.toThrow();
    expect(() => sse(inherited({ keepAlive: -5 }))).not.toThrow();
  });
});

describe("topics", () => {
  it("are the array's elements, whatever its iterator says", async () => {
    const channel = createChannel({ history: 10 });
    const arrivals = new Arrivals<SseController>();
    server = await listen(
      withSse(sse({ keepAlive: false }), (_req, res) => {
        channel.subscribe(res.sse, { topics: ["news"] });
        arrivals.push(res.sse);
      }),
    );
    const client = await server.request("/");
    await arrivals.atLeast(1);
    let calls = 0;
    const lying = ["news"];
    // Valid the first time it is walked, something else after.
    Object.defineProperty(lying, Symbol.iterator, {
      value: function* () {
        calls += 1;
        yield calls === 1 ? "news" : 42;
      },
    });
    channel.publish("story", { topics: lying });
    await client.waitFor((text) => text.includes("story"));
    expect(client.events.map((event) => event.data)).toEqual(["story"]);
  });
});
