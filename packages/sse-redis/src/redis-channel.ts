import {
  createChannelEngine,
  resolveOnError,
  resolvePublishOptions,
  type ChannelStats,
  type ChannelStore,
  type ReadFrom,
  type StorePage,
  type SubscribeOptions,
} from "sse-middleware/adapter";
import type { EventMap, MessageData, PublishOptions, SseController, UncheckedPublishOptions } from "sse-middleware";
import { StreamAppender } from "./appender.js";
import { entryFields, type StreamEntry } from "./entry.js";
import { readMissed } from "./missed-entries.js";
import { resolveRedisChannelOptions, type RedisChannelOptions } from "./options.js";
import { PreparedEntries } from "./prepared-entries.js";
import { readLoop } from "./read-loop.js";
import { connectToRedis, describeFailure, type RedisConnection } from "./redis-connection.js";
import { compareStreamIds } from "./stream-id.js";

/** Options of {@link RedisChannel.publish}: the event type and topics. Ids are the stream entry ids Redis assigns. */
export type RedisPublishOptions<Event extends string = string> = Omit<PublishOptions<Event>, "id">;

/**
 * A channel kept in a Redis stream, shared by every instance that creates
 * one on the same stream: the interface of `createChannel`, except that
 * publishing and closing talk to Redis and so return promises.
 */
export interface RedisChannel<Events extends EventMap = EventMap> {
  /**
   * Appends the event to the stream (`XADD … MAXLEN ~ maxLen`); every
   * instance's subscribers it is meant for get it from there, this one's
   * included.
   * @returns the entry id Redis gave it, which is the event's SSE id.
   * @throws (rejects with) TypeError for invalid data, fields or topics;
   * Error when Redis cannot be reached or the channel is closed.
   */
  publish<Event extends keyof Events & string>(
    data: Events[Event],
    options: RedisPublishOptions<Event> & { event: Event },
  ): Promise<string>;
  publish(data: MessageData<Events>, options?: UncheckedPublishOptions<Events, RedisPublishOptions>): Promise<string>;
  /** As `Channel.subscribe`: topics, filter, replay after `Last-Event-ID` from the stream, then live. */
  subscribe(stream: SseController, options?: SubscribeOptions): () => void;
  /** How many subscribers this instance has. */
  readonly size: number;
  /**
   * This instance's counters: `subscribers`, `published` (entries it read
   * from the stream, whichever instance published them), `replayed`, `resets`.
   */
  stats(): ChannelStats;
  /**
   * Delivers what this instance has read, ends every subscriber's stream on
   * this instance, stops reading the stream and closes both connections;
   * later subscribers are ended at once, and publish rejects. The stream
   * stays in Redis.
   */
  close(): Promise<void>;
}

/** At most this many prepared entries are kept for replays (fewer when maxLen is smaller). */
const MAX_PREPARED = 10_000;

async function newestEntry(commands: RedisConnection, stream: string): Promise<StreamEntry | undefined> {
  try {
    const newest = await commands.run((client) => client.xRevRange(stream, "+", "-", { COUNT: 1 }));
    return newest?.[0];
  } catch (error) {
    throw new Error(`Cannot read Redis stream ${JSON.stringify(stream)}: ${describeFailure(commands, error)}`, {
      cause: error,
    });
  }
}

/**
 * Creates this instance's side of a channel kept in the Redis stream
 * `stream`. It publishes with XADD, reads the stream with one XREAD BLOCK
 * loop on a connection of its own, and hands each entry, serialised once, to
 * the same engine `createChannel` uses. Entry ids are the SSE ids, so a
 * client that reconnects to any instance resumes where it left off.
 * Rejects with a TypeError for a bad option, and with an Error when Redis
 * cannot be reached within `connectTimeout` or the key holds something
 * other than a stream.
 */
export async function createRedisChannel<Events extends EventMap = EventMap>(
  options: RedisChannelOptions,
): Promise<RedisChannel<Events>> {
  const { url, stream: key, maxLen, connectTimeout, onError } = resolveRedisChannelOptions(options);
  const commands = await connectToRedis(url, "commands", connectTimeout);
  let reader: RedisConnection;
  let newest: StreamEntry | undefined;
  try {
    newest = await newestEntry(commands, key);
    reader = await connectToRedis(url, "reader", connectTimeout);
  } catch (error) {
    commands.destroy();
    throw error;
  }

  // Each entry is prepared once per instance, whether it goes out live or in
  // replays: when many clients reconnect at once, they share the work.
  const prepared = new PreparedEntries(Math.min(maxLen, MAX_PREPARED));
  const store: ChannelStore<string> = {
    async read(from: ReadFrom<string>, limit: number): Promise<StorePage<string>> {
      const after = "after" in from ? from.after : from.afterId;
      const page = await commands.run((client) => readMissed(client, key, after, limit));
      return { ...page, events: page.entries.map((entry) => prepared.get(entry)) };
    },
    compare: compareStreamIds,
  };
  // Made before the engine, which names it in diagnostics messages; its
  // methods reach the engine and the connections only once called.
  const channel: RedisChannel<Events> = {
    async publish(data: unknown, publishOptions: RedisPublishOptions = {}): Promise<string> {
      // Its own key only: an `id` on Object.prototype (a pollution elsewhere) must not refuse every publish.
      if (typeof publishOptions === "object" && publishOptions !== null && Object.hasOwn(publishOptions, "id")) {
        throw new TypeError('publish() option "id" is not supported: a Redis channel\'s ids are the entry ids Redis assigns');
      }
      const { event, topics } = resolvePublishOptions(publishOptions, ["event", "topics"]);
      const fields = entryFields(data, event, topics);
      if (whenClosed !== undefined) throw new Error("Cannot publish on a closed channel");
      return appender.append(fields);
    },

    subscribe: (stream, subscribeOptions) => engine.subscribe(stream, subscribeOptions),

    get size(): number {
      return engine.size;
    },

    stats: () => engine.stats(),

    close(): Promise<void> {
      if (whenClosed !== undefined) return whenClosed;
      engine.close();
      closing.abort();
      // The reader is blocked in XREAD; a polite QUIT would wait behind it.
      reader.destroy();
      whenClosed = (async () => {
        await reading;
        await commands.close();
      })();
      return whenClosed;
    },
  };
  const engine = createChannelEngine(store, {
    // With its topics: a new subscriber is told its id only if it is meant for it.
    newest: newest === undefined ? undefined : prepared.get(newest),
    onError: resolveOnError(onError, "createRedisChannel()"),
    channel,
  });
  const appender = new StreamAppender(commands, url, key, maxLen);
  const closing = new AbortController();
  /** Set once close() has run: resolves when both connections are closed. */
  let whenClosed: Promise<void> | undefined;

  const reading = readLoop({
    connection: reader,
    stream: key,
    after: newest?.id,
    signal: closing.signal,
    onEntries: (entries: readonly StreamEntry[]) => engine.receive(entries.map((entry) => prepared.get(entry))),
    // Fell behind the stream's window: subscribers are told as a resuming client is.
    onGap: () => engine.lost(),
  });

  return channel;
}
