/**
 * `sse-middleware/adapter`: what a channel on another store needs from the
 * core, and nothing application code needs. A store (Redis Streams in
 * `sse-middleware-redis`; PostgreSQL or NATS would be the same size) keeps
 * events and hands new ones to the engine; the engine does subscribe,
 * topics, filters, replay, `reset`, the handoff to live, close and errors.
 *
 * ```ts
 * const engine = createChannelEngine(store, { newest, onError: resolveOnError(options.onError, "createMyChannel()") });
 * // for each new event, in order:
 * engine.receive([{ position, id, prepared: prepareEvent(data, { event, id }), topics }]);
 * ```
 */
export { createChannelEngine, RESET_EVENT, retryDelay, sleep } from "./engine.js";
export type {
  ChannelEngine,
  ChannelErrorHandler,
  ChannelStats,
  ChannelStore,
  EngineOptions,
  ReadFrom,
  StoredEvent,
  StorePage,
  SubscribeOptions,
} from "./engine.js";
export { resolveOnError, resolvePublishOptions, warnOnError } from "./channel.js";
export { assertEventName, describeValue, isPreparedEvent, prepareEvent, PreparedEvent, serializeData } from "./format.js";
export { assertInteger, assertOptions, optionError, readOptions, resolveTopics } from "./options.js";
