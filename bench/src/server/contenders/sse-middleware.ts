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

/** The topics every user of the targeted scenario follows besides its own. */
const NEWS = ["news"];

/**
 * Per-user and per-topic delivery as the README shows it: each stream
 * subscribes to its user's topic, `user:N`, and to `news`; a publish names
 * the one topic it is for.
 */
export function createSseMiddlewareTopics(): Contender {
  const channel = createChannel();
  return {
    handlers: [sse(), (req, res) => void channel.subscribe(res.sse, { topics: [`user:${String(req.query.user)}`, ...NEWS] })],
    publish(payload, id) {
      channel.publish(payload, { id, topics: NEWS });
    },
    publishTo(payload, id, user) {
      channel.publish(payload, { id, topics: [`user:${user}`] });
    },
    clients: () => channel.size,
  };
}
