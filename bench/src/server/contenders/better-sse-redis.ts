import { createChannel, createSession } from "better-sse";
import type { Contender, RedisTarget } from "../contender.js";
import { connectPubSub } from "./redis-pub-sub.js";

/**
 * better-sse across instances as its users do it: a channel per instance,
 * fed by a Redis pub/sub subscription; the publisher PUBLISHes the data and
 * id as JSON, and each instance broadcasts what it receives.
 */
export async function createBetterSseRedis({ url, key }: RedisTarget): Promise<Contender> {
  const channel = createChannel();
  const pubSub = await connectPubSub(url, key, (message) => {
    const { id, data } = JSON.parse(message) as { id: string; data: unknown };
    channel.broadcast(data, "message", { eventId: id });
  });
  return {
    handlers: [
      async (req, res) => {
        channel.register(await createSession(req, res));
      },
    ],
    publish(payload, id) {
      pubSub.publish(JSON.stringify({ id, data: payload }));
    },
    clients: () => channel.sessionCount,
  };
}
