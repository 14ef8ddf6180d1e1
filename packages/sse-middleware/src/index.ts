export { sse } from "./middleware.js";
export { createChannel } from "./channel.js";
export { formatComment, formatEvent, prepareEvent, PreparedEvent } from "./format.js";
// For channels built on other stores (sse-middleware-redis): they validate,
// serialise and mark a client's position exactly as createChannel does.
export { assertEventName, prepareLastEventId, serializeData } from "./format.js";
export type { Channel, ChannelOptions, PublishOptions, SubscribeOptions } from "./channel.js";
export type { EventFields } from "./format.js";
export type { CloseAllOptions, PipeOptions, SendOptions, SseController, SseMiddleware, SseOptions } from "./types.js";
