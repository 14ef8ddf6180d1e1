import type { RequestHandler } from "express";
import type { Payload } from "../payload.js";

/**
 * One implementation under test, as the bench server drives it: the route
 * that opens a stream, and a broadcast to every open stream.
 */
export interface Contender {
  /** The handlers of `GET /events`, in order. */
  readonly handlers: RequestHandler[];
  /** Sends one event, with this id, to every connected client. */
  publish(payload: Payload, id: string): void;
  /** How many clients would receive a publish now. */
  clients(): number;
}
