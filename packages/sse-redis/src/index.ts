export { createRedisChannel } from "./redis-channel.js";
export type { RedisChannel, RedisPublishOptions } from "./redis-channel.js";
export type { RedisChannelOptions } from "./options.js";
