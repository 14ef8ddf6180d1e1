export { sse } from "./middleware.js";
export { formatComment, formatEvent } from "./format.js";
export type { EventFields } from "./format.js";
export type { SendOptions, SseController, SseMiddleware, SseOptions } from "./types.js";
