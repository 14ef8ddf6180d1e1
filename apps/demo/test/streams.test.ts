import { describe, expect, it } from "vitest";
import { openEventStream } from "sse-middleware/testing";
import { demoPerTest } from "./demo-server.js";

const startDemo = demoPerTest();

describe("the demo's /streams/ticks, behind streams.html", () => {
  it("sends tick 1 at once, then one a tick, ids and data counting up, and stays open past /sse's 20", async () => {
    const demo = await startDemo({ ticks: 20, intervalMs: 20 });
    const stream = await openEventStream(demo.server, "/streams/ticks?stream=0");
    const ticks = await stream.take(30);
    expect(ticks).toEqual(Array.from({ length: 30 }, (_, i) => ({ event: "message", id: String(i + 1), data: String(i + 1) })));
    expect(stream.ended).toBe(false);
    await stream.close();
  });

  it("counts on after Last-Event-ID k from k+1", async () => {
    const demo = await startDemo({ intervalMs: 20 });
    const stream = await openEventStream(demo.server, "/streams/ticks?stream=0", { headers: { "Last-Event-ID": "41" } });
    expect((await stream.take(2)).map(({ id, data }) => ({ id, data }))).toEqual([
      { id: "42", data: "42" },
      { id: "43", data: "43" },
    ]);
    await stream.close();
  });
});
