import { EventSource } from "eventsource";
import { describe, expect, it } from "vitest";
import type { DemoOptions } from "../src/app.js";
import { demoPerTest } from "./demo-server.js";

const startDemo = demoPerTest();

async function start(options: DemoOptions): Promise<string> {
  return (await startDemo(options)).url;
}

interface Received {
  ids: string[];
  times: number[];
  /** How many times the client (re)opened a connection that answered 200. */
  opens: number;
}

/**
 * Reads the stream with the real `eventsource` client until it stops for
 * good, which only happens when the server answers 204.
 */
function readUntilDone(url: string, headers: Record<string, string> = {}): Promise<Received> {
  const received: Received = { ids: [], times: [], opens: 0 };
  return new Promise((resolve, reject) => {
    const source = new EventSource(url, {
      // The given headers stand in for a client that already saw some ticks;
      // on reconnect the client's own Last-Event-ID takes over.
      fetch: (input, init) => fetch(input, { ...init, headers: { ...headers, ...init?.headers } }),
    });
    source.onopen = () => (received.opens += 1);
    source.onmessage = (event) => {
      received.ids.push(event.lastEventId);
      received.times.push(Number(event.data));
    };
    source.onerror = (error) => {
      if (source.readyState === EventSource.CLOSED) {
        if (error.code === 204 || error.code === undefined) resolve(received);
        else reject(error);
      }
    };
  });
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}

describe("the demo's /sse, read by the eventsource client", () => {
  it("delivers the ticks with ids 1..ticks and increasing times, then stops for good on 204", async () => {
    const url = await start({ ticks: 5, intervalMs: 5 });
    const received = await readUntilDone(`${url}/sse`);
    expect(received.ids).toEqual(range(1, 5));
    expect(received.times.every((time, i) => i === 0 || time >= received.times[i - 1]!)).toBe(true);
    // It reconnected once after the fifth tick, got 204 and stopped.
    expect(received.opens).toBe(1);
  });

  it("delivers the blog's 20 ticks", async () => {
    const url = await start({ intervalMs: 1 });
    const received = await readUntilDone(`${url}/sse`);
    expect(received.ids).toEqual(range(1, 20));
  });

  it("resumes after Last-Event-ID k with ticks k+1..ticks", async () => {
    const url = await start({ ticks: 8, intervalMs: 5 });
    const received = await readUntilDone(`${url}/sse`, { "Last-Event-ID": "5" });
    expect(received.ids).toEqual(range(6, 8));
  });

  it("answers 204 to Last-Event-ID equal to ticks, so EventSource stops at once", async () => {
    const url = await start({ ticks: 3, intervalMs: 5 });
    const response = await fetch(`${url}/sse`, { headers: { "Last-Event-ID": "3" } });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    const received = await readUntilDone(`${url}/sse`, { "Last-Event-ID": "3" });
    expect(received).toEqual({ ids: [], times: [], opens: 0 });
  });

  it("starts over for a Last-Event-ID that is not a tick", async () => {
    const url = await start({ ticks: 3, intervalMs: 5 });
    const received = await readUntilDone(`${url}/sse`, { "Last-Event-ID": "banana" });
    expect(received.ids).toEqual(range(1, 3));
  });

  it("sends retry equal to the interval, so a dropped client is back within a tick", async () => {
    const url = await start({ ticks: 1, intervalMs: 250 });
    const response = await fetch(`${url}/sse`);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toMatch(/^retry: 250\n\nid: 1\ndata: \d{13}\n\n$/);
  });
});

describe("the demo's /sse/raw, the hand-written baseline", () => {
  it("delivers the same ticks and stops on 204", async () => {
    const url = await start({ ticks: 4, intervalMs: 5 });
    const received = await readUntilDone(`${url}/sse/raw`);
    expect(received.ids).toEqual(range(1, 4));
  });
});

describe("the demo's page", () => {
  it("serves index.html, whose EventSource reads /sse and appends to #messages", async () => {
    const url = await start({ ticks: 1, intervalMs: 5 });
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('new EventSource("/sse")');
    expect(html).toContain('id="messages"');
  });
});
