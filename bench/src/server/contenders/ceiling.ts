import type { ServerResponse } from "node:http";
import type { Contender } from "../contender.js";
import { openRawStream } from "./hand-written.js";

/**
 * The most a fan-out can do in Node: a tick's events are formatted once,
 * joined and encoded into one buffer, and that buffer is written once to
 * each client. Nothing per client beyond the write itself: no bookkeeping,
 * no backpressure, no bound on a slow client. No library can beat it.
 */
export function createCeiling(): Contender {
  const clients = new Set<ServerResponse>();
  let pending: string[] = [];
  const flush = (): void => {
    const bytes = Buffer.from(pending.join(""), "utf8");
    pending = [];
    for (const res of clients) res.write(bytes);
  };
  return {
    handlers: [(req, res) => openRawStream(clients, res)],
    publish(payload, id) {
      if (pending.length === 0) process.nextTick(flush);
      pending.push(`id: ${id}\ndata: ${JSON.stringify(payload)}\n\n`);
    },
    clients: () => clients.size,
  };
}
