/**
 * The `node:diagnostics_channel` channels the library publishes on, so an
 * APM agent or an OpenTelemetry instrumentation can watch streams and
 * channels without code in the app. Every publisher checks
 * `hasSubscribers` first: with no one listening, no message is built.
 *
 * A neutral leaf, like tick.ts: streams and channels both publish here, and
 * neither learns of the other through it.
 */
import { channel } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { CloseReason, SseController } from "./types.js";

/** `sse-middleware:stream:open`: a stream opened (status 200 and headers sent). */
export interface StreamOpenMessage {
  readonly stream: SseController;
  readonly request: IncomingMessage | Http2ServerRequest;
  readonly response: ServerResponse | Http2ServerResponse;
}

/** `sse-middleware:stream:close`: an open stream ended, and why. */
export interface StreamCloseMessage extends StreamOpenMessage {
  readonly reason: CloseReason;
}

/** `sse-middleware:stream:refused`: a request answered 503 for being over `maxConnections`. */
export interface StreamRefusedMessage {
  readonly request: IncomingMessage | Http2ServerRequest;
  readonly response: ServerResponse | Http2ServerResponse;
  readonly maxConnections: number;
}

/** `sse-middleware:channel:publish`: a channel took an event for its subscribers (on Redis: this instance read it from the stream). */
export interface ChannelPublishMessage {
  /** The channel, as `createChannel` or `createRedisChannel` returned it. */
  readonly channel: object;
  readonly id: string;
  /** The event type; undefined for `message`. */
  readonly event: string | undefined;
  /** The topics it is for; undefined for every subscriber. */
  readonly topics: readonly string[] | undefined;
}

/** `sse-middleware:channel:replay`: a replay after `Last-Event-ID` is over (the subscriber went live, or its stream ended). */
export interface ChannelReplayMessage {
  readonly channel: object;
  readonly stream: SseController;
  /** The id the client resumed from. */
  readonly lastEventId: string;
  /** Events sent from the store to this stream. */
  readonly replayed: number;
}

/**
 * `sse-middleware:channel:reset`: clients were told with `event: reset`
 * that they missed events. `resume`: one client resumed from an id no
 * longer kept; `gap`: the store's live feed skipped events (on Redis, the
 * instance fell behind the stream's window), and every live subscriber was told.
 */
export type ChannelResetMessage =
  | {
      readonly cause: "resume";
      readonly channel: object;
      /** The data of the `reset` event: the first kept id meant for this client ("" when none is). */
      readonly oldestId: string;
      readonly stream: SseController;
      readonly lastEventId: string;
    }
  | {
      readonly cause: "gap";
      readonly channel: object;
      /** How many live subscribers are told (each with its own next event's id). */
      readonly subscribers: number;
    };

/** The channels, by the names documented in the README. */
export const streamOpenChannel = channel("sse-middleware:stream:open");
export const streamCloseChannel = channel("sse-middleware:stream:close");
export const streamRefusedChannel = channel("sse-middleware:stream:refused");
export const channelPublishChannel = channel("sse-middleware:channel:publish");
export const channelReplayChannel = channel("sse-middleware:channel:replay");
export const channelResetChannel = channel("sse-middleware:channel:reset");
