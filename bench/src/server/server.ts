/**
 * A bench server process: one contender behind Express on 127.0.0.1, on a
 * port the system picks, driven by the orchestrator over IPC. Each run gets
 * a fresh one, so no contender inherits another's heap, JIT state or sockets.
 *
 * Usage: server.ts <contender> [--track-sockets] [--targeted] [--redis-url=URL --redis-key=KEY]
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
  /** Publishes made in one go; each burst is its own macrotask. */
  burstSize: number;
  payloadBytes: number;
  /**
   * When set, each event goes to users 0 to `users - 1` one by one, each
   * publish to one user only, in a fresh random order per event; its id
   * for user N is `<id>@N`.
   */
  users?: number;
}

/** When a burst began and when its last publish was handed to the contender, and what it cost. */
export interface BurstReport {
  startedAt: number;
  publishedAt: number;
  /** The server process's CPU time (user + system) from the first publish until the last burst's writes were done. */
  cpuMs: number;
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
    targeted: { type: "boolean", default: false },
    "redis-url": { type: "string" },
    "redis-key": { type: "string" },
  },
});
const name = positionals[0];
if (name === undefined || !isServerContenderName(name)) throw new Error(`unknown contender ${JSON.stringify(name)}`);
const redisUrl = flags["redis-url"];
const redisKey = flags["redis-key"];
const contender = await loadContender(
  name,
  redisUrl === undefined || redisKey === undefined ? undefined : { url: redisUrl, key: redisKey },
  flags.targeted === true,
);

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

/** Users 0 to `users - 1` in a random order (Fisher–Yates), as strings, for one event of a targeted burst. */
function shuffledUsers(users: number): string[] {
  const order = Array.from({ length: users }, (_, i) => String(i));
  for (let i = users - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The publishes of a burst, by number: each event to everyone, or with `users`, to each user in turn. */
function publishesOf({ firstId, events, payloadBytes, users }: BurstArgs): { count: number; publish: (i: number) => void } {
  if (users === undefined) {
    return { count: events, publish: (i) => contender.publish(makePayload(payloadBytes, firstId + i), String(firstId + i)) };
  }
  const { publishTo } = contender;
  if (publishTo === undefined) throw new Error(`${name} was not started with --targeted`);
  // Drawn before the clock starts: the order is the bench's work, not the contender's.
  const orders = Array.from({ length: events }, () => shuffledUsers(users));
  const publish = (i: number): void => {
    const event = Math.floor(i / users);
    const user = orders[event]![i % users]!;
    const id = firstId + event;
    publishTo.call(contender, makePayload(payloadBytes, id), `${id}@${user}`, user);
  };
  return { count: events * users, publish };
}

/** Publishes `publish(i)` for i from 0 to `count - 1`, `burstSize` of them per macrotask. */
async function inBursts(count: number, burstSize: number, publish: (i: number) => void): Promise<void> {
  for (let i = 0; i < count; ) {
    for (const end = Math.min(count, i + burstSize); i < end; i += 1) publish(i);
    await nextMacrotask();
  }
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

  async burst(args) {
    const { count, publish } = publishesOf(args);
    const startedAt = wallClockMs();
    const cpu = process.cpuUsage();
    await inBursts(count, args.burstSize, publish);
    const { user, system } = process.cpuUsage(cpu);
    return { startedAt, publishedAt: wallClockMs(), cpuMs: (user + system) / 1000 };
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
