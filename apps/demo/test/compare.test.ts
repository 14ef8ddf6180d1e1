import type http from "node:http";
import { describe, expect, it } from "vitest";
import { openEventStream } from "sse-middleware/testing";
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

/** Reads a whole SSE response of `server`, as a browser would, and returns its events as ticks. */
async function readStream(server: http.Server, path: string, lastEventId?: string): Promise<{ status: number; events: Tick[] }> {
  const stream = await openEventStream(server, path, { headers: lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId } });
  const events: Tick[] = [];
  for await (const event of stream.events) events.push({ id: Number(event.id), producedAt: Number(event.data) });
  return { status: stream.status, events };
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
    const demo = await startDemo({ ticks: 3, intervalMs: 20 });
    const base = `${demo.url}/compare`;
    const { run } = await newRun(base);
    const streamed = readStream(demo.server, `/compare/sse?run=${run}`);
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
    const demo = await startDemo({ ticks: 3, intervalMs: 10 });
    const { run } = await newRun(`${demo.url}/compare`);
    const resumed = await readStream(demo.server, `/compare/sse?run=${run}`, "1");
    expect(resumed.events.map((tick) => tick.id)).toEqual([2, 3]);
    expect((await readStream(demo.server, `/compare/sse?run=${run}`, "3")).status).toBe(204);
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
