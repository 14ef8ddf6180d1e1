/**
 * A bench server process: one contender behind Express on 127.0.0.1, on a
 * port the system picks, driven by the orchestrator over IPC. Each run gets
 * a fresh one, so no contender inherits another's heap, JIT state or sockets.
 *
 * Usage: server.ts <contender> [--track-sockets] [--redis-url=URL --redis-key=KEY]
 */
import express from "express";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { parseArgs } from "node:util";
import { wallClockMs } from "../clock.js";
import { isServerContenderName } from "../contenders.js";
import { serveRpc } from "../ipc.js";
import { makePayload } from "../payload.js";
import { loadContender } from "./load-contender.js";

/** Arguments of {@link ServerApi.burst}. */
export interface BurstArgs {
  /** The id of the first event; the rest follow in order. */
  firstId: number;
  events: number;
  /** Events published in one go; each burst is its own macrotask. */
  burstSize: number;
  payloadBytes: number;
}

/** When a burst began and when its last event was handed to the contender. */
export interface BurstReport {
  startedAt: number;
  publishedAt: number;
}

/** Arguments of {@link ServerApi.steady}. */
export interface SteadyArgs {
  events: number;
  perSecond: number;
  payloadBytes: number;
}

/** How well the server kept to the rate. */
export interface SteadyReport {
  startedAt: number;
  endedAt: number;
  /** Worst delay of a publish after its due time (the server's own lateness). */
  maxLagMs: number;
}

/** `process.memoryUsage()` after garbage collection, in bytes. */
export interface MemorySample {
  rss: number;
  /** What V8 has reserved for its heap, used or not. */
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The methods the orchestrator calls. */
export type ServerApi = {
  clients(arg: null): number;
  burst(arg: BurstArgs): Promise<BurstReport>;
  steady(arg: SteadyArgs): Promise<SteadyReport>;
  memory(arg: null): Promise<MemorySample>;
  startQueueSampling(arg: null): void;
  stopQueueSampling(arg: null): number;
};

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "track-sockets": { type: "boolean", default: false },
    "redis-url": { type: "string" },
    "redis-key": { type: "string" },
  },
});
const name = positionals[0];
if (name === undefined || !isServerContenderName(name)) throw new Error(`unknown contender ${JSON.stringify(name)}`);
const redisUrl = flags["redis-url"];
const redisKey = flags["redis-key"];
const contender = await loadContender(name, redisUrl === undefined || redisKey === undefined ? undefined : { url: redisUrl, key: redisKey });

const app = express();
app.get("/events", ...contender.handlers);
const server = http.createServer(app);

// Only the slow-reader scenario tracks sockets: the tracking costs memory
// per connection, which the memory scenario must not count.
const sockets = new Set<Socket>();
if (flags["track-sockets"] === true) {
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
}

const QUEUE_SAMPLE_MS = 10;
let queueSampler: NodeJS.Timeout | undefined;
let peakQueuedBytes = 0;

function sampleQueue(): void {
  let queued = 0;
  for (const socket of sockets) queued += socket.writableLength;
  if (queued > peakQueuedBytes) peakQueuedBytes = queued;
}

async function collectGarbage(): Promise<void> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error("the server must run with --expose-gc");
  // Several passes, with a turn of the loop between: a pass runs finalizers
  // and weak callbacks that free more on the next.
  for (let pass = 0; pass < 3; pass += 1) {
    gc();
    await nextMacrotask();
  }
}

const api: ServerApi = {
  clients: () => contender.clients(),

  async burst({ firstId, events, burstSize, payloadBytes }) {
    const startedAt = wallClockMs();
    const lastId = firstId + events - 1;
    let id = firstId;
    while (id <= lastId) {
      for (let i = 0; i < burstSize && id <= lastId; i += 1) {
        contender.publish(makePayload(payloadBytes, id), String(id));
        id += 1;
      }
      await nextMacrotask();
    }
    return { startedAt, publishedAt: wallClockMs() };
  },

  async steady({ events, perSecond, payloadBytes }) {
    const intervalMs = 1000 / perSecond;
    const startedAt = wallClockMs();
    const start = performance.now();
    let maxLagMs = 0;
    for (let id = 1; id <= events; id += 1) {
      const due = start + (id - 1) * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      maxLagMs = Math.max(maxLagMs, performance.now() - due);
      contender.publish(makePayload(payloadBytes, id), String(id));
    }
    return { startedAt, endedAt: wallClockMs(), maxLagMs };
  },

  async memory() {
    await collectGarbage();
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    return { rss, heapTotal, heapUsed, external, arrayBuffers };
  },

  startQueueSampling() {
    peakQueuedBytes = 0;
    sampleQueue();
    queueSampler = setInterval(sampleQueue, QUEUE_SAMPLE_MS);
  },

  stopQueueSampling() {
    clearInterval(queueSampler);
    sampleQueue();
    return peakQueuedBytes;
  },
};

server.listen(0, "127.0.0.1", () => {
  serveRpc(api, { port: (server.address() as AddressInfo).port });
});
