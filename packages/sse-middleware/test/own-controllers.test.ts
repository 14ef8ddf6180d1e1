// A channel takes any SseController, including one of the app's own making
// (a wrapper, a test double, a bridge to another transport). Whatever such
// a controller throws, wherever the channel calls it, ends only its own
// subscriber and goes to onError; it never becomes an unhandled rejection,
// never stops other subscribers, and never leaves the subscriber behind.
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { serveStreams as serveEach, wrapController as wrap, type Arrivals, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Serves `/` with each request's real controller handed to `handle`. */
async function serveStreams(handle: (stream: SseController) => void): Promise<Arrivals<SseController>> {
  const served = await serveEach(sse({ keepAlive: false }), handle);
  server = served.server;
  return served.arrivals;
}

/** Unhandled rejections while `body` runs (vitest would only report them after the file). */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (reason: unknown): void => void seen.push(reason);
  process.on("unhandledRejection", record);
  try {
    await body();
    // Rejections are reported after the microtasks of the turn they happened in.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", record);
  }
  return seen;
}

const data = (text: string): string[] => [...text.matchAll(/^data: (.*)$/gm)].map((match) => match[1]!);

describe("a controller of the app's own making that throws during a replay", () => {
  const cases: [string, (stream: SseController) => SseController][] = [
    ["its closed getter", (stream) => {
      let reads = 0;
      // subscribe() reads it once; the replay's reads fail.
      return wrap(stream, { closed: { get: () => {
        reads += 1;
        if (reads > 1) throw new Error("closed getter bug");
        return stream.closed;
      } } });
    }],
    ["its bufferedBytes getter", (stream) => wrap(stream, { bufferedBytes: { get: () => { throw new Error("bufferedBytes getter bug"); } } })],
    ["its drain()", (stream) => wrap(stream, {
      bufferedBytes: { get: () => Number.MAX_SAFE_INTEGER },
      drain: { value: () => Promise.reject(new Error("drain bug")) },
    })],
  ];
  it.each(cases)("ends only that subscriber when %s throws, reports it, and leaves no unhandled rejection", async (_name, faulty) => {
    const errors: unknown[] = [];
    const channel = createChannel({ history: 300, onError: (error) => errors.push(error) });
    for (let n = 1; n <= 250; n += 1) channel.publish(`old ${n}`);
    let first = true;
    const arrivals = await serveStreams((stream) => {
      channel.subscribe(first ? faulty(stream) : stream);
      first = false;
    });
    const unhandled = await unhandledDuring(async () => {
      const broken = await server!.request("/", { headers: { "Last-Event-ID": "200" } });
      await arrivals.atLeast(1);
      const healthy = await server!.request("/", { headers: { "Last-Event-ID": "240" } });
      await arrivals.atLeast(2);
      channel.publish("new");
      await healthy.waitFor((text) => text.includes("data: new"));
      expect(data(healthy.text())).toEqual([...Array.from({ length: 10 }, (_, i) => `old ${241 + i}`), "new"]);
      await broken.closed;
    });
    expect(unhandled).toEqual([]);
    expect(errors.map(String)).toEqual([expect.stringMatching(/bug/)]);
    expect(channel.size).toBe(1);
  });
});

describe("a controller of the app's own making", () => {
  it("whose sendPrepared throws on the id-only join block is ended and reported, and subscribe() does not throw", async () => {
    const errors: unknown[] = [];
    const channel = createChannel({ history: 10, onError: (error) => errors.push(error) });
    channel.publish("before");
    let first = true;
    const outcomes: string[] = [];
    const arrivals = await serveStreams((stream) => {
      const controller = first ? wrap(stream, { sendPrepared: { value: () => { throw new Error("sendPrepared bug"); } } }) : stream;
      first = false;
      try {
        channel.subscribe(controller);
        outcomes.push("returned");
      } catch (error) {
        outcomes.push(`threw ${String(error)}`);
      }
    });
    const broken = await server!.request("/");
    await arrivals.atLeast(1);
    const healthy = await server!.request("/");
    await arrivals.atLeast(2);
    channel.publish("after");
    await healthy.waitFor((text) => text.includes("data: after"));
    await broken.closed;
    expect(outcomes).toEqual(["returned", "returned"]);
    expect(errors.map(String)).toEqual(["Error: sendPrepared bug"]);
    expect(channel.size).toBe(1);
  });

  it("whose close() throws does not keep channel.close() from ending every other stream; it is reported", async () => {
    const errors: unknown[] = [];
    const channel = createChannel({ onError: (error) => errors.push(error) });
    let first = true;
    const arrivals = await serveStreams((stream) => {
      channel.subscribe(first ? wrap(stream, { close: { value: () => { throw new Error("close bug"); } } }) : stream);
      first = false;
    });
    const broken = await server!.request("/");
    await arrivals.atLeast(1);
    const healthy = await server!.request("/");
    await arrivals.atLeast(2);
    channel.publish("last");
    channel.close();
    await expect(healthy.ended).resolves.toBe("id: 1\ndata: last\n\n");
    expect(errors.map(String)).toEqual(["Error: close bug"]);
    expect(channel.size).toBe(0);
    broken.destroy();
  });

  it("whose signal getter hands out a new signal on each read still leaves once its stream is closed", async () => {
    const channel = createChannel();
    const arrivals = await serveStreams((stream) => {
      channel.subscribe(wrap(stream, { signal: { get: () => new AbortController().signal } }));
    });
    const client = await server!.request("/");
    await arrivals.atLeast(1);
    channel.publish("one");
    await client.waitFor((text) => text.includes("data: one"));
    arrivals.items[0]!.close();
    channel.publish("two");
    await expect.poll(() => channel.size).toBe(0);
  });
});
