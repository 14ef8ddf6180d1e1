import { createRedisChannel, type RedisChannel } from "sse-middleware-redis";
import type { NotificationEvents } from "./notifications.js";

/** The Redis stream every instance of the demo shares when REDIS_URL is set. */
export const NOTIFICATIONS_STREAM = "sse-demo:notifications";

/** The inbox's channel on Redis. */
export type RedisNotificationChannel = RedisChannel<NotificationEvents>;

/**
 * The inbox's channel on a Redis stream: every instance that names the same
 * `stream` serves the same inbox, and the last 100 or so notifications are
 * kept for replay, as in memory.
 */
export function createRedisNotificationChannel(url: string, stream = NOTIFICATIONS_STREAM): Promise<RedisNotificationChannel> {
  return createRedisChannel<NotificationEvents>({ url, stream, maxLen: 100 });
}
