import { EventSource } from "eventsource";
import { describe, expect, it } from "vitest";
import { Arrivals } from "sse-testkit/http";
import { demoPerTest } from "./demo-server.js";

const startDemo = demoPerTest();

/** Reads `/streams/ticks` with the eventsource client until `count` ticks came; the stream is still open then. */
async function readTicks(url: string, count: number, lastEventId?: string) {
  const ticks = new Arrivals<{ id: string; data: string }>();
  const source = new EventSource(`${url}/streams/ticks?stream=0`, {
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...init?.headers, ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) } }),
  });
  source.onmessage = (event) => ticks.push({ id: event.lastEventId, data: event.data });
  await ticks.atLeast(count);
  const open = source.readyState === EventSource.OPEN;
  source.close();
  return { ticks: ticks.items.slice(0, count), open };
}

describe("the demo's /streams/ticks, behind streams.html", () => {
  it("sends tick 1 at once, then one a tick, ids and data counting up, and stays open past /sse's 20", async () => {
    const demo = await startDemo({ ticks: 20, intervalMs: 20 });
    const { ticks, open } = await readTicks(demo.url, 30);
    expect(ticks).toEqual(Array.from({ length: 30 }, (_, i) => ({ id: String(i + 1), data: String(i + 1) })));
    expect(open).toBe(true);
  });

  it("counts on after Last-Event-ID k from k+1", async () => {
    const demo = await startDemo({ intervalMs: 20 });
    const { ticks } = await readTicks(demo.url, 2, "41");
    expect(ticks).toEqual([
      { id: "42", data: "42" },
      { id: "43", data: "43" },
    ]);
  });
});
