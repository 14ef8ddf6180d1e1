import { createChannel, createSession, type DefaultChannelState } from "better-sse";
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

/**
 * better-sse's way to reach some sessions of a channel: each session keeps
 * its user in its `state`, and an event for one user is a `broadcast` with
 * a `filter` that picks that user's session; `news` is a plain `broadcast`.
 */
export function createBetterSseFilter(): Contender {
  const channel = createChannel<DefaultChannelState, { user: string }>();
  return {
    handlers: [
      async (req, res) => {
        channel.register(await createSession(req, res, { state: { user: String(req.query.user) } }));
      },
    ],
    publish(payload, id) {
      channel.broadcast(payload, "message", { eventId: id });
    },
    publishTo(payload, id, user) {
      channel.broadcast(payload, "message", { eventId: id, filter: (session) => session.state.user === user });
    },
    clients: () => channel.sessionCount,
  };
}
