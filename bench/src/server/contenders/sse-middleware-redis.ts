import { sse } from "sse-middleware";
import { createRedisChannel } from "sse-middleware-redis";
import type { Contender, RedisTarget } from "../contender.js";

/**
 * This library across instances as its README shows it: `sse()` on the
 * route and a channel on a Redis stream (default `maxLen`) that every
 * stream subscribes to. `publish` is an XADD; each instance's read loop
 * fans the entry out. Ids are Redis's, so clients count by the payload.
 */
export async function createSseMiddlewareRedis({ url, key }: RedisTarget): Promise<Contender> {
  const channel = await createRedisChannel({ url, stream: key });
  return {
    handlers: [sse(), (req, res) => void channel.subscribe(res.sse)],
    publish(payload) {
      channel.publish(payload).catch((error: Error) => console.error(error.message));
    },
    clients: () => channel.size,
  };
}
