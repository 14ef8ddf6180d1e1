import express from "express";
import net from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createChannel, sse } from "sse-middleware";
import { listen, type TestServer } from "sse-testkit/http";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const CYCLES = Number(process.env.CHURN_CYCLES ?? 20_000);
const IN_FLIGHT = 50;

/** How a client leaves. */
const LEAVINGS = ["closes", "vanishes mid-write", "resets", "half-closes", "stops reading"] as const;
type Leaving = (typeof LEAVINGS)[number];

let server: TestServer;
const events = sse({ keepAlive: 20 });
const channel = createChannel({ history: 50 });
let publisher: NodeJS.Timeout | undefined;
let subscribed = 0;

beforeAll(async () => {
  const app = express();
  app.get("/events", events, (_req, res) => {
    subscribed += 1;
    channel.subscribe(res.sse);
  });
  server = await listen(app);
});
afterAll(() => server.close());

/** One client's whole life: connect, read a little (or not), leave as `leaving` says. */
function cycle(port: number, leaving: Leaving): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = 0;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      if (leaving === "resets") socket.resetAndDestroy();
      else if (leaving === "stops reading") {
        socket.pause();
        setImmediate(() => socket.destroy());
      } else socket.destroy();
    };
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    socket.on("data", (data: Buffer) => {
      received += data.length;
      // Headers in the first packet; "vanishes mid-write" waits for body bytes too.
      if (leaving !== "vanishes mid-write" || received > 2000) leave();
    });
    socket.write("GET /events HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    if (leaving === "half-closes") socket.end();
  });
}

async function churn(cycles: number): Promise<void> {
  const { port } = new URL(server.url);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < cycles) {
        const leaving = LEAVINGS[next % LEAVINGS.length]!;
        next += 1;
        await cycle(Number(port), leaving);
      }
    }),
  );
}

/** Waits, bounded in turns, for the server to notice every client is gone. */
async function settled(): Promise<void> {
  for (let turn = 0; turn < 500 && (events.size > 0 || channel.size > 0); turn += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function snapshot() {
  gc();
  return {
    heapUsed: process.memoryUsage().heapUsed,
    // Sockets and servers. Timers are checked through the library's own
    // setInterval/clearInterval calls: Node keeps timers of its own per socket.
    handles: process.getActiveResourcesInfo().filter((name) => name.startsWith("TCP")).sort(),
    serverListeners: server.server.eventNames().map((name) => [String(name), server.server.listenerCount(name)]),
    processListeners: process.eventNames().map((name) => [String(name), process.listenerCount(name)]),
  };
}

describe("churn", () => {
  it(`${CYCLES} clients come and go (closing, vanishing mid-write, resetting, half-closing, not reading): nothing stays behind`, async () => {
    const setIntervalSpy = vi.spyOn(globalThis, "setInterval");
    const clearIntervalSpy = vi.spyOn(globalThis, "clearInterval");
    // Events keep flowing so clients leave while the server writes to them.
    const payload = "p".repeat(1500);
    const publish = () => channel.publish(payload);
    publisher = setInterval(publish, 1);
    try {
      await churn(500); // warm up: JIT, pools and caches reach their steady size
      await settled();
      const before = snapshot();
      const subscribedBefore = subscribed;

      await churn(CYCLES);
      await settled();
      clearInterval(publisher);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const after = snapshot();

      // Every client got as far as a subscription (a reset may beat the request).
      expect(subscribed - subscribedBefore).toBeGreaterThan(CYCLES * 0.75);
      expect(events.size).toBe(0);
      expect(channel.size).toBe(0);
      expect(after.handles).toEqual(before.handles);
      expect(after.serverListeners).toEqual(before.serverListeners);
      expect(after.processListeners).toEqual(before.processListeners);
      // Heap back to where it was, within a small margin for the runtime's own caches.
      expect(after.heapUsed - before.heapUsed).toBeLessThan(2 * 1024 * 1024);
      // Every heartbeat and maxAge timer the library started, it stopped.
      const started = setIntervalSpy.mock.results.filter((_r, i) => setIntervalSpy.mock.calls[i]![1] === 20);
      for (const { value } of started) expect(clearIntervalSpy).toHaveBeenCalledWith(value);
      expect(started.length).toBeGreaterThan(0);
    } finally {
      clearInterval(publisher);
      setIntervalSpy.mockRestore();
      clearIntervalSpy.mockRestore();
    }
  }, 300_000);

  it("shutting down with streams open leaves no handle", async () => {
    const before = snapshot().handles;
    const { port } = new URL(server.url);
    const sockets = Array.from({ length: 200 }, () => {
      const socket = net.connect(Number(port), "127.0.0.1");
      socket.on("error", () => {});
      socket.write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
      return socket;
    });
    for (let turn = 0; turn < 500 && events.size < 200; turn += 1) await new Promise((r) => setTimeout(r, 10));
    expect(events.size).toBe(200);
    await events.close({ retryWindow: 100 });
    expect(events.size).toBe(0);
    expect(channel.size).toBe(0);
    for (const socket of sockets) socket.destroy();
    for (let turn = 0; turn < 200; turn += 1) {
      if (JSON.stringify(snapshot().handles) === JSON.stringify(before)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(snapshot().handles).toEqual(before);
  });
});
