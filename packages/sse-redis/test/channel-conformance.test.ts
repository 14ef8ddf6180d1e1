// The Redis store passes the conformance suite every channel store passes,
// with two instances of a channel (two app servers) sharing one stream.
import { inject } from "vitest";
import { createRedisChannel, type RedisChannel } from "sse-middleware-redis";
import { channelConformance, type ChannelInstance } from "sse-testkit/channel-suite";
import { uniqueStream, useRedisClient } from "./instances.js";

const redisUrl = inject("redisUrl");
const redis = useRedisClient(redisUrl);
const streams = new WeakMap<ChannelInstance, string>();

function asInstance(channel: RedisChannel): ChannelInstance {
  return {
    publish: (data, options) => channel.publish(data, options),
    subscribe: (stream, options) => channel.subscribe(stream, options),
    get size() {
      return channel.size;
    },
    stats: () => channel.stats(),
    channel,
    close: () => channel.close(),
  };
}

channelConformance({
  store: "redis",
  maxInstances: 2,
  open: async ({ history, instances = 1, onError }) => {
    const stream = uniqueStream();
    const channels = await Promise.all(
      Array.from({ length: instances }, () =>
        createRedisChannel({ url: redisUrl, stream, maxLen: history, ...(onError ? { onError } : {}) }),
      ),
    );
    return channels.map((channel) => {
      const instance = asInstance(channel);
      streams.set(instance, stream);
      return instance;
    });
  },
  // MAXLEN ~ keeps about maxLen entries: what the stream holds is the truth.
  kept: async (instance) => ((await redis.xRange(streams.get(instance)!, "-", "+")) ?? []).map((entry) => entry.id),
});
