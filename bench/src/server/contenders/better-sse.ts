import { createChannel, createSession } from "better-sse";
import type { Contender } from "../contender.js";

/**
 * better-sse as its documentation shows channels: a session per request,
 * registered on a channel, `broadcast` to publish (it names every event
 * `message`). The id is passed so the load generator can count exactly.
 */
export function createBetterSse(): Contender {
  const channel = createChannel();
  return {
    handlers: [
      async (req, res) => {
        channel.register(await createSession(req, res));
      },
    ],
    publish(payload, id) {
      channel.broadcast(payload, "message", { eventId: id });
    },
    clients: () => channel.sessionCount,
  };
}
