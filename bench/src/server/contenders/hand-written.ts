import type { ServerResponse } from "node:http";
import type { Contender } from "../contender.js";

/** The headers the demo's hand-written `/sse/raw` sends. */
export const RAW_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
};

/** Opens a stream by hand and keeps the response in `clients` until it closes. */
export function openRawStream(clients: Set<ServerResponse>, res: ServerResponse): void {
  res.writeHead(200, RAW_HEADERS);
  res.flushHeaders();
  clients.add(res);
  res.on("close", () => clients.delete(res));
}

/**
 * What a user writes without a library, as the demo's `/sse/raw` does: the
 * event is formatted once, then written to each client, one `res.write` per
 * event per client. No backpressure, no bound on a slow client.
 */
export function createHandWritten(): Contender {
  const clients = new Set<ServerResponse>();
  return {
    handlers: [(req, res) => openRawStream(clients, res)],
    publish(payload, id) {
      const text = `id: ${id}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const res of clients) res.write(text);
    },
    clients: () => clients.size,
  };
}
