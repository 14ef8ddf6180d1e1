import type { RequestHandler } from "express";
import type { Payload } from "../payload.js";

/**
 * One implementation under test, as the bench server drives it: the route
 * that opens a stream, and a broadcast to every open stream.
 */
export interface Contender {
  /** The handlers of `GET /events`, in order. */
  readonly handlers: RequestHandler[];
  /**
   * Sends one event, with this id, to every connected client (of every
   * instance, for the Redis contenders); a channel that assigns ids of its
   * own uses those, and the payload's `n` still says which event it is.
   */
  publish(payload: Payload, id: string): void;
  /**
   * Sends one event to the stream of one user only (the clients of the
   * targeted scenario each ask as a user, `?user=N`). Only the contenders
   * built for that scenario have it; their `publish` goes to topic `news`,
   * which every user follows.
   */
  publishTo?(payload: Payload, id: string, user: string): void;
  /** How many clients would receive a publish now. */
  clients(): number;
}

/** Where a contender that shares its events through Redis finds them. */
export interface RedisTarget {
  /** The Redis server, `redis://127.0.0.1:<port>`. */
  url: string;
  /** The stream or pub/sub channel every instance of one run shares. */
  key: string;
}
