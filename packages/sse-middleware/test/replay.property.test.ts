import express from "express";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, sse, type Channel, type SseController } from "sse-middleware";
import { openEventStream, type EventStream } from "sse-middleware/testing";
import { aborted, listen, type TestServer } from "sse-testkit/http";

// One server for every run; each run swaps in a fresh channel.
let server: TestServer;
let channel: Channel;
let subscribers: SseController[] = [];
let onSubscribe: (() => void) | undefined;

beforeAll(async () => {
  const app = express();
  app.get("/events", sse({ keepAlive: false }), (_req, res) => {
    channel.subscribe(res.sse);
    subscribers.push(res.sse);
    onSubscribe?.();
  });
  server = await listen(app);
});
afterAll(() => server.close());

type Step =
  | { kind: "publish"; size: "small" | "large" | "huge" }
  | { kind: "connect"; client: number }
  | { kind: "disconnect"; client: number };

const CLIENTS = 3;
const stats = { runs: 0, events: 0, resets: 0, reconnects: 0 };
afterAll(() => console.log("replay property:", stats));
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .constantFrom("small", "small", "large", "huge")
      .map((size): Step => ({ kind: "publish", size: size as "small" | "large" | "huge" })),
  },
  { weight: 2, arbitrary: fc.nat(CLIENTS - 1).map((client): Step => ({ kind: "connect", client })) },
  { weight: 2, arbitrary: fc.nat(CLIENTS - 1).map((client): Step => ({ kind: "disconnect", client })) },
);

/** What one connection of a client saw, and what the channel had published when it connected. */
interface Connection {
  /** The client's side, once the response has arrived. */
  stream: EventStream;
  controller: SseController;
  lastIdAtConnect: number | undefined;
  publishedAtConnect: number;
}

// Large events (over the 64 KiB catch-up high-water mark together) make
// replays pause for the client to drain while publishing goes on.
const LARGE = "x".repeat(40_000);
const HUGE = "y".repeat(300_000);
// The longest wait for a client to catch up: replays of huge events pace themselves to the client.
const WAIT_MS = 20_000;

/**
 * Connects. Resolves `subscribed` as soon as the server has subscribed the
 * client (with how many events were published by then), not when the client
 * has read anything: the steps that follow then run while a replay may still
 * be waiting for the client to drain.
 */
function connect(lastId: number | undefined, published: () => number): {
  subscribed: Promise<void>;
  connection: Promise<Connection>;
} {
  let publishedAtConnect = 0;
  const subscribed = new Promise<void>(
    (resolve) =>
      (onSubscribe = () => {
        publishedAtConnect = published();
        resolve();
      }),
  );
  const headers: Record<string, string> = lastId === undefined ? {} : { "Last-Event-ID": String(lastId) };
  const streaming = openEventStream(server.server, "/events", { headers, timeout: WAIT_MS });
  const connection = subscribed.then(async () => {
    const controller = subscribers.at(-1)!;
    const stream = await streaming;
    return { stream, controller, lastIdAtConnect: lastId, publishedAtConnect };
  });
  return { subscribed, connection };
}

function lastSeenId(connections: Connection[]): number | undefined {
  for (let i = connections.length - 1; i >= 0; i -= 1) {
    // The events' own ids, not the stream's lastEventId: a join block's id is no event seen.
    const ids = connections[i]!.stream.received.filter((e) => e.event !== "reset");
    if (ids.length > 0) return Number(ids.at(-1)!.id);
    if (connections[i]!.lastIdAtConnect !== undefined) return connections[i]!.lastIdAtConnect;
  }
  return undefined;
}

/**
 * Checks one client's connections: each resumes right after the last event
 * the client saw (or, for a client that saw none, at the next live event);
 * ids then go up by exactly one, except right after a `reset`, which is only
 * sent when events really were lost and names the id that comes next.
 */
function checkClient(connections: Connection[], history: number, published: number): void {
  let seen: number | undefined;
  for (const connection of connections) {
    let expected = seen === undefined ? connection.publishedAtConnect + 1 : seen + 1;
    for (const event of connection.stream.received) {
      if (event.event === "reset") {
        if (event.data === "") {
          // Nothing is kept (history 0): the client goes on with live events.
          expect(history).toBe(0);
          expected = connection.publishedAtConnect + 1;
        } else {
          const oldestKept = Number(event.data);
          expect(oldestKept, "a reset is sent only when events were lost").toBeGreaterThan(expected);
          expected = oldestKept;
        }
        // A window that holds every event never resets anyone.
        expect(history, "reset although the window held every event").toBeLessThan(published);
        continue;
      }
      expect(Number(event.id), `event after ${expected - 1}`).toBe(expected);
      seen = expected;
      expected += 1;
    }
  }
}

describe("replay is exact under any interleaving of publish, connect, disconnect and reconnect", () => {
  it("every client sees every event once and in order while its window holds", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(8), fc.array(step, { minLength: 8, maxLength: 40, size: "max" }), async (history, steps) => {
        channel = createChannel({ history });
        subscribers = [];
        let published = 0;
        const connections: Connection[][] = Array.from({ length: CLIENTS }, () => []);
        const open: (Promise<Connection> | undefined)[] = new Array(CLIENTS).fill(undefined);
        const connectClient = async (client: number): Promise<void> => {
          const { subscribed, connection } = connect(lastSeenId(connections[client]!), () => published);
          open[client] = connection;
          // Recorded when the response arrives; this client's next connect
          // comes only after a disconnect that awaits it, so order holds.
          void connection.then((c) => connections[client]!.push(c));
          await subscribed;
        };
        try {
          for (const s of steps) {
            if (s.kind === "publish") {
              const filler = s.size === "huge" ? HUGE : s.size === "large" ? LARGE : "";
              channel.publish(`${published + 1}:${filler}`);
              published += 1;
            } else if (s.kind === "connect" && open[s.client] === undefined) {
              // Not awaited past the subscription: see connect().
              await connectClient(s.client);
            } else if (s.kind === "disconnect" && open[s.client] !== undefined) {
              const connection = await open[s.client]!;
              await connection.stream.close();
              await aborted(connection.controller.signal);
              open[s.client] = undefined;
            }
          }
          // Everyone comes back and catches up to the newest event.
          for (let client = 0; client < CLIENTS; client += 1) {
            if (open[client] === undefined && connections[client]!.length > 0) await connectClient(client);
            if (open[client] === undefined) continue;
            // It can catch up unless nothing was kept for it to catch up from.
            for (let attempt = 0; ; attempt += 1) {
              const last = await open[client]!;
              const canCatchUp = history > 0 || lastSeenId(connections[client]!) === published;
              const behind = lastSeenId(connections[client]!) !== undefined || last.publishedAtConnect < published;
              if (!canCatchUp || !behind) break;
              try {
                const caughtUp = (): boolean => lastSeenId(connections[client]!) === published;
                if (!caughtUp()) await last.stream.takeUntil(caughtUp);
                break;
              } catch (error) {
                // The server cut a client that fell too far behind; like
                // EventSource, it reconnects and resumes.
                if (!last.controller.closed || attempt === 10) throw error;
                await connectClient(client);
              }
            }
          }
          for (const clientConnections of connections) checkClient(clientConnections, history, published);
          stats.runs += 1;
          stats.events += connections.flat().reduce((n, c) => n + c.stream.received.length, 0);
          stats.resets += connections.flat().reduce((n, c) => n + c.stream.received.filter((e) => e.event === "reset").length, 0);
          stats.reconnects += connections.filter((c) => c.length > 1).length;
        } finally {
          await Promise.all((await Promise.all(open)).map((connection) => connection?.stream.close()));
          channel.close();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  }, 120_000);
});
