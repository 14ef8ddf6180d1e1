import { createClient } from "redis";

/** A Redis pub/sub channel as one instance sees it. */
export interface PubSub {
  /** PUBLISHes `message`; every instance's subscriber gets it, this one's included. */
  publish(message: string): void;
}

/**
 * What a user writes to share events between instances without a library
 * for it: one connection that PUBLISHes, one that SUBSCRIBEs and hands each
 * message to `onMessage`. Fire and forget: a message published while an
 * instance is disconnected is lost to it, and nothing can be replayed.
 */
export async function connectPubSub(url: string, channel: string, onMessage: (message: string) => void): Promise<PubSub> {
  const publisher = createClient({ url });
  const subscriber = publisher.duplicate();
  for (const client of [publisher, subscriber]) client.on("error", (error: Error) => console.error(`redis: ${error.message}`));
  await Promise.all([publisher.connect(), subscriber.connect()]);
  await subscriber.subscribe(channel, onMessage);
  return {
    publish(message) {
      publisher.publish(channel, message).catch((error: Error) => console.error(`PUBLISH failed: ${error.message}`));
    },
  };
}
