import { describe, expect, it } from "vitest";
import type { DemoOptions } from "../src/app.js";
import type { Tick } from "../src/clock.js";
import type { CompareRun } from "../src/compare.js";
import { demoPerTest } from "./demo-server.js";

const startDemo = demoPerTest();

async function start(options: DemoOptions): Promise<string> {
  return `${(await startDemo(options)).url}/compare`;
}

async function newRun(base: string): Promise<CompareRun> {
  const response = await fetch(`${base}/runs`, { method: "POST" });
  expect(response.status).toBe(201);
  return (await response.json()) as CompareRun;
}

async function getTicks(url: string): Promise<Tick[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return (await response.json()) as Tick[];
}

/** Reads a whole SSE response and returns its events' ids and data. */
async function readStream(url: string, lastEventId?: string): Promise<{ status: number; events: Tick[] }> {
  const response = await fetch(url, { headers: lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId } });
  const text = await response.text();
  const events = [...text.matchAll(/^id: (\d+)\ndata: (\d+)\n\n/gm)].map((match) => ({
    id: Number(match[1]),
    producedAt: Number(match[2]),
  }));
  return { status: response.status, events };
}

describe("the demo's /compare endpoints, over one clock per run", () => {
  it("starts a run with the app's ticks and interval", async () => {
    const base = await start({ ticks: 4, intervalMs: 30 });
    const first = await newRun(base);
    const second = await newRun(base);
    expect(first).toEqual({ run: expect.any(String), ticks: 4, intervalMs: 30 });
    expect(second.run).not.toBe(first.run);
  });

  it("gives polling, long polling and SSE the very same ticks", async () => {
    const base = await start({ ticks: 3, intervalMs: 20 });
    const { run } = await newRun(base);
    const streamed = readStream(`${base}/sse?run=${run}`);
    const longPolled: Tick[] = [];
    while (longPolled.length < 3) {
      longPolled.push(...(await getTicks(`${base}/long-poll?run=${run}&after=${longPolled.length}`)));
    }
    const polled = await getTicks(`${base}/poll?run=${run}&after=0`);
    expect(longPolled.map((tick) => tick.id)).toEqual([1, 2, 3]);
    expect(polled).toEqual(longPolled);
    expect((await streamed).events).toEqual(longPolled);
  });

  it("answers a poll at once, with only the ticks after `after`", async () => {
    // The first tick is a minute away: a poll that waited for it would time the test out.
    const slow = await start({ ticks: 2, intervalMs: 60_000 });
    expect(await getTicks(`${slow}/poll?run=${(await newRun(slow)).run}&after=0`)).toEqual([]);
    const base = await start({ ticks: 2, intervalMs: 20 });
    const { run } = await newRun(base);
    await getTicks(`${base}/long-poll?run=${run}&after=1`);
    expect((await getTicks(`${base}/poll?run=${run}&after=1`)).map((tick) => tick.id)).toEqual([2]);
    expect(await getTicks(`${base}/poll?run=${run}&after=2`)).toEqual([]);
  });

  it("answers a long poll with one tick, and at once with none after the last", async () => {
    const base = await start({ ticks: 2, intervalMs: 20 });
    const { run } = await newRun(base);
    expect((await getTicks(`${base}/long-poll?run=${run}&after=0`)).map((tick) => tick.id)).toEqual([1]);
    expect((await getTicks(`${base}/long-poll?run=${run}&after=0`)).map((tick) => tick.id)).toEqual([1]);
    expect(await getTicks(`${base}/long-poll?run=${run}&after=2`)).toEqual([]);
  });

  it("resumes the stream after Last-Event-ID, and answers 204 once it has them all", async () => {
    const base = await start({ ticks: 3, intervalMs: 10 });
    const { run } = await newRun(base);
    const resumed = await readStream(`${base}/sse?run=${run}`, "1");
    expect(resumed.events.map((tick) => tick.id)).toEqual([2, 3]);
    expect((await readStream(`${base}/sse?run=${run}`, "3")).status).toBe(204);
  });

  it("answers 404 for a run it does not know and 400 for an `after` that is not a tick", async () => {
    const base = await start({ ticks: 1, intervalMs: 10 });
    const { run } = await newRun(base);
    expect((await fetch(`${base}/poll?run=nope&after=0`)).status).toBe(404);
    expect((await fetch(`${base}/sse`)).status).toBe(404);
    expect((await fetch(`${base}/long-poll?run=${run}&after=-1`)).status).toBe(400);
    expect((await fetch(`${base}/poll?run=${run}&after=1.5`)).status).toBe(400);
  });

  it("forgets the oldest run past eight, so forgotten tabs cannot grow memory", async () => {
    const base = await start({ ticks: 1, intervalMs: 10 });
    const runs: CompareRun[] = [];
    for (let i = 0; i < 9; i += 1) runs.push(await newRun(base));
    expect((await fetch(`${base}/poll?run=${runs[0]!.run}`)).status).toBe(404);
    expect((await fetch(`${base}/poll?run=${runs[1]!.run}`)).status).toBe(200);
  });
});
