import type { ServerResponse } from "node:http";
import type { Contender, RedisTarget } from "../contender.js";
import { openRawStream } from "./hand-written.js";
import { connectPubSub } from "./redis-pub-sub.js";

/**
 * The hand-written loop across instances: the event is framed once where it
 * is published, PUBLISHed as is, and each instance writes the message it
 * receives to each of its clients, one `res.write` per event per client.
 */
export async function createHandWrittenRedis({ url, key }: RedisTarget): Promise<Contender> {
  const clients = new Set<ServerResponse>();
  const pubSub = await connectPubSub(url, key, (text) => {
    for (const res of clients) res.write(text);
  });
  return {
    handlers: [(req, res) => openRawStream(clients, res)],
    publish(payload, id) {
      pubSub.publish(`id: ${id}\ndata: ${JSON.stringify(payload)}\n\n`);
    },
    clients: () => clients.size,
  };
}
