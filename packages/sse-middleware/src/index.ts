export { sse } from "./middleware.js";
export { createChannel } from "./channel.js";
export { formatComment, formatEvent, prepareEvent, PreparedEvent } from "./format.js";
export type {
  Channel,
  ChannelOptions,
  ChannelStats,
  EventMap,
  MessageData,
  PublishOptions,
  SubscribeOptions,
  UncheckedPublishOptions,
} from "./channel.js";
export type { EventFields } from "./format.js";
export type {
  CloseAllOptions,
  CloseReason,
  PipeOptions,
  SendOptions,
  SseController,
  SseMiddleware,
  SseOptions,
  SseStats,
} from "./types.js";
export type {
  ChannelPublishMessage,
  ChannelReplayMessage,
  ChannelResetMessage,
  StreamCloseMessage,
  StreamOpenMessage,
  StreamRefusedMessage,
} from "./diagnostics.js";
