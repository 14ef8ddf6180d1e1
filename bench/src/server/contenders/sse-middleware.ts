import { createChannel, sse } from "sse-middleware";
import type { Contender } from "../contender.js";

/**
 * This library as its README shows it: `sse()` on the route and a channel
 * that every stream subscribes to, with default options (heartbeat every
 * 15 s, 1 MiB bound per slow client, no history).
 */
export function createSseMiddleware(): Contender {
  const channel = createChannel();
  return {
    handlers: [sse(), (req, res) => void channel.subscribe(res.sse)],
    publish(payload, id) {
      channel.publish(payload, { id });
    },
    clients: () => channel.size,
  };
}
