import type { ServerResponse } from "node:http";
import type { Payload } from "../../payload.js";
import type { Contender } from "../contender.js";

/** The headers the demo's hand-written `/sse/raw` sends. */
export const RAW_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
};

function writeRawHead(res: ServerResponse): void {
  res.writeHead(200, RAW_HEADERS);
  res.flushHeaders();
}

/** Opens a stream by hand and keeps the response in `clients` until it closes. */
export function openRawStream(clients: Set<ServerResponse>, res: ServerResponse): void {
  writeRawHead(res);
  clients.add(res);
  res.on("close", () => clients.delete(res));
}

const frame = (payload: Payload, id: string): string => `id: ${id}\ndata: ${JSON.stringify(payload)}\n\n`;

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
      const text = frame(payload, id);
      for (const res of clients) res.write(text);
    },
    clients: () => clients.size,
  };
}

/**
 * What a user writes for per-user events without a library: a
 * `Map<userId, res>`; an event for one user looks up that user's response
 * and writes to it, an event for everyone (`news`) goes to every response.
 * One connection per user, as the bench opens them.
 */
export function createHandWrittenUsers(): Contender {
  const users = new Map<string, ServerResponse>();
  return {
    handlers: [
      (req, res) => {
        const user = String(req.query.user);
        writeRawHead(res);
        users.set(user, res);
        res.on("close", () => {
          if (users.get(user) === res) users.delete(user);
        });
      },
    ],
    publish(payload, id) {
      const text = frame(payload, id);
      for (const res of users.values()) res.write(text);
    },
    publishTo(payload, id, user) {
      users.get(user)?.write(frame(payload, id));
    },
    clients: () => users.size,
  };
}
