export { sse } from "./middleware.js";
export { createChannel } from "./channel.js";
export { formatComment, formatEvent, prepareEvent, PreparedEvent } from "./format.js";
export type {
  Channel,
  ChannelOptions,
  EventMap,
  MessageData,
  PublishOptions,
  SubscribeOptions,
  UncheckedPublishOptions,
} from "./channel.js";
export type { EventFields } from "./format.js";
export type { CloseAllOptions, PipeOptions, SendOptions, SseController, SseMiddleware, SseOptions } from "./types.js";
