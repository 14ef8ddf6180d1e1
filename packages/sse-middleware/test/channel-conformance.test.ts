// The in-memory store passes the conformance suite every channel store passes.
import { createChannel, type Channel } from "sse-middleware";
import { channelConformance, type ChannelInstance } from "sse-testkit/channel-suite";

function asInstance(channel: Channel): ChannelInstance {
  return {
    // Synchronous like the channel itself: a publish from a filter lands in the same tick.
    publish: (data, options) => {
      try {
        return Promise.resolve(channel.publish(data, options));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    subscribe: (stream, options) => channel.subscribe(stream, options),
    get size() {
      return channel.size;
    },
    stats: () => channel.stats(),
    channel,
    close: async () => channel.close(),
  };
}

const histories = new WeakMap<ChannelInstance, number>();

channelConformance({
  store: "memory",
  maxInstances: 1,
  open: async ({ history, onError }) => {
    const instance = asInstance(createChannel({ history, ...(onError ? { onError } : {}) }));
    histories.set(instance, history);
    return [instance];
  },
  // The ring keeps exactly the last `history` events.
  kept: async (instance, published) => published.slice(-histories.get(instance)!),
});
