import {
  prepareEvent,
  prepareLastEventId,
  type Channel,
  type PreparedEvent,
  type PublishOptions,
  type SseController,
  type SubscribeOptions,
} from "sse-middleware";
import { StreamAppender } from "./appender.js";
import { retryDelay, sleep } from "./backoff.js";
import { entryFields, type ChannelEntry, type StreamEntry } from "./entry.js";
import { readMissed, type MissedPage } from "./missed-entries.js";
import { resolveRedisChannelOptions, type RedisChannelOptions } from "./options.js";
import { PreparedEntries } from "./prepared-entries.js";
import { readLoop } from "./read-loop.js";
import { connectToRedis, describeFailure, type RedisConnection } from "./redis-connection.js";
import { compareStreamIds, STREAM_START } from "./stream-id.js";

/** Options of {@link RedisChannel.publish}: the event type. Ids are the stream entry ids Redis assigns. */
export type RedisPublishOptions = Omit<PublishOptions, "id">;

/**
 * A channel kept in a Redis stream, shared by every instance that creates
 * one on the same stream: the interface of `createChannel`, except that
 * publishing and closing talk to Redis and so return promises.
 */
export interface RedisChannel extends Omit<Channel, "publish" | "close"> {
  /**
   * Appends the event to the stream (`XADD … MAXLEN ~ maxLen`); every
   * instance's subscribers get it from there, this one's included.
   * @returns the entry id Redis gave it, which is the event's SSE id.
   * @throws (rejects with) TypeError for invalid data or fields; Error when
   * Redis cannot be reached or the channel is closed.
   */
  publish(data: unknown, options?: RedisPublishOptions): Promise<string>;
  /**
   * Ends every subscriber's stream on this instance, stops reading the
   * stream and closes both connections; later subscribers are ended at
   * once, and publish rejects. The stream stays in Redis.
   */
  close(): Promise<void>;
}

/** One subscriber on this instance and how far it has got. */
interface Subscription {
  readonly stream: SseController;
  readonly filter: ((event: PreparedEvent) => boolean) | undefined;
  /** The id of the last entry this subscriber was given (or its filter skipped); entries up to it are never sent again. */
  cursor: string;
  /** While catching up: live entries read meanwhile, in order. Undefined once live. */
  pending: ChannelEntry[] | undefined;
  /** How many times `pending` outgrew its bound and was emptied. */
  overflows: number;
  /** Removes the abort listener; set once subscribed. */
  detach: () => void;
}

/** The name of the in-band event telling a client it missed events (as `createChannel` sends it). */
const RESET_EVENT = "reset";

/** Catch-up writes pause once this many bytes wait for a client, as in `createChannel`. */
const CATCH_UP_HIGH_WATER_BYTES = 64 * 1024;

/**
 * Entries per XRANGE while a subscriber catches up: what one replaying
 * client holds at most while it is slow to read.
 */
const REPLAY_PAGE = 100;

/** At most this many prepared entries are kept for replays (fewer when maxLen is smaller). */
const MAX_PREPARED = 10_000;

/**
 * Live entries held for one catching-up subscriber. Past this the held ones
 * are dropped and replay reads them from Redis instead, so a client that
 * reads slowly costs bounded memory.
 */
const MAX_PENDING = 10_000;

function resolvePublishOptions(options: unknown): string | undefined {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`publish() options must be an object, got ${options === null ? "null" : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (key === "id") {
      throw new TypeError("publish() option \"id\" is not supported: a Redis channel's ids are the entry ids Redis assigns");
    }
    if (key !== "event") throw new TypeError(`publish() option ${JSON.stringify(key)} is unknown; expected event`);
  }
  return (options as RedisPublishOptions).event;
}

async function openStream(commands: RedisConnection, stream: string): Promise<string | undefined> {
  try {
    const newest = await commands.run((client) => client.xRevRange(stream, "+", "-", { COUNT: 1 }));
    return newest?.[0]?.id;
  } catch (error) {
    throw new Error(`Cannot read Redis stream ${JSON.stringify(stream)}: ${describeFailure(commands, error)}`, {
      cause: error,
    });
  }
}

/**
 * Creates this instance's side of a channel kept in the Redis stream
 * `stream`. It publishes with XADD, reads the stream with one XREAD BLOCK
 * loop on a connection of its own, and fans each entry out to its local
 * subscribers, serialised once. Entry ids are the SSE ids, so a client that
 * reconnects to any instance resumes where it left off.
 * Rejects with a TypeError for a bad option, and with an Error when Redis
 * cannot be reached within `connectTimeout` or the key holds something
 * other than a stream.
 */
export async function createRedisChannel(options: RedisChannelOptions): Promise<RedisChannel> {
  const { url, stream: key, maxLen, connectTimeout } = resolveRedisChannelOptions(options);
  const commands = await connectToRedis(url, "commands", connectTimeout);
  let reader: RedisConnection;
  /** The id of the newest entry this instance has fanned out (or found at creation). */
  let newestId: string | undefined;
  try {
    newestId = await openStream(commands, key);
    reader = await connectToRedis(url, "reader", connectTimeout);
  } catch (error) {
    commands.destroy();
    throw error;
  }

  const subscriptions = new Set<Subscription>();
  const prepared = new PreparedEntries(Math.min(maxLen, MAX_PREPARED));
  const appender = new StreamAppender(commands, url, key, maxLen);
  const closing = new AbortController();
  /** Set once close() has run: resolves when both connections are closed. */
  let whenClosed: Promise<void> | undefined;

  function unsubscribe(subscription: Subscription): void {
    if (subscriptions.delete(subscription)) subscription.detach();
  }

  function isActive(subscription: Subscription): boolean {
    return subscriptions.has(subscription) && !subscription.stream.closed;
  }

  // Gives one entry to one subscriber unless it already has it: catch-up and
  // the live loop may both hold an entry, and the cursor makes the second a
  // no-op. Returns false once the stream is closed.
  function deliver(subscription: Subscription, entry: ChannelEntry): boolean {
    if (compareStreamIds(entry.id, subscription.cursor) <= 0) return true;
    subscription.cursor = entry.id;
    const { event } = entry;
    if (event === undefined) return true;
    if (subscription.filter !== undefined && !subscription.filter(event)) return true;
    return subscription.stream.sendPrepared(event);
  }

  // A filter that throws is a bug in the subscriber; it must not stop the
  // loop that serves every other subscriber. That subscriber's stream ends.
  function deliverOrEnd(subscription: Subscription, entry: ChannelEntry): boolean {
    try {
      if (deliver(subscription, entry)) return true;
    } catch (error) {
      process.emitWarning(error instanceof Error ? error : new Error(String(error)));
      subscription.stream.close();
    }
    unsubscribe(subscription);
    return false;
  }

  function fanOut(entries: readonly StreamEntry[]): void {
    for (const raw of entries) {
      const entry = prepared.get(raw);
      newestId = entry.id;
      for (const subscription of subscriptions) {
        const { pending } = subscription;
        if (pending === undefined) {
          deliverOrEnd(subscription, entry);
        } else if (pending.length < MAX_PENDING) {
          pending.push(entry);
        } else {
          subscription.pending = [];
          subscription.overflows += 1;
        }
      }
    }
  }

  // The read loop fell behind the stream's window: live subscribers are
  // told as a resuming client is; catching-up ones drop what they held and
  // read on from Redis, which tells them too.
  function resetAfterGap(oldestId: string): void {
    const reset = prepareEvent(oldestId, { event: RESET_EVENT });
    for (const subscription of subscriptions) {
      if (subscription.pending === undefined) {
        subscription.stream.sendPrepared(reset);
      } else {
        subscription.pending = [];
        subscription.overflows += 1;
      }
    }
  }

  /**
   * Replays what a client missed from Redis, then makes it live with no gap
   * and no duplicate. Live entries read meanwhile wait in `pending`; the
   * replay may switch to them once it has read up to the first of them (the
   * two overlap), or once a page reached the end of the stream while
   * `pending` was collecting throughout (whatever came after that page is
   * in `pending`). The cursor drops the overlap.
   */
  async function catchUp(subscription: Subscription, lastEventId: string): Promise<void> {
    const { stream } = subscription;
    let after: string | undefined = lastEventId;
    let first = true;
    let failures = 0;
    while (isActive(subscription)) {
      const overflows = subscription.overflows;
      let page: MissedPage;
      try {
        page = await commands.run((client) => readMissed(client, key, after, REPLAY_PAGE));
        failures = 0;
      } catch {
        // Redis is away: the client stays connected (heartbeats go on), and
        // the replay goes on from here when Redis is back.
        await sleep(retryDelay(failures), closing.signal);
        failures += 1;
        continue;
      }
      if (!isActive(subscription)) return;
      if (page.reset) stream.sendPrepared(prepareEvent(page.oldestId, { event: RESET_EVENT }));
      else if (first) subscription.cursor = lastEventId;
      first = false;
      for (const raw of page.entries) {
        if (!deliverOrEnd(subscription, prepared.get(raw))) return;
        if (stream.bufferedBytes > CATCH_UP_HIGH_WATER_BYTES) {
          await stream.drain();
          if (!isActive(subscription)) return;
        }
      }
      const pending = subscription.pending!;
      const overlaps = pending.length > 0 && compareStreamIds(pending[0]!.id, subscription.cursor) <= 0;
      if (overlaps || (page.complete && subscription.overflows === overflows)) {
        subscription.pending = undefined;
        for (const entry of pending) if (!deliverOrEnd(subscription, entry)) return;
        return;
      }
      after = subscription.cursor === STREAM_START ? undefined : subscription.cursor;
    }
  }

  const reading = readLoop({
    connection: reader,
    stream: key,
    after: newestId,
    signal: closing.signal,
    onEntries: fanOut,
    onGap: resetAfterGap,
  });

  return {
    async publish(data: unknown, publishOptions: RedisPublishOptions = {}): Promise<string> {
      const fields = entryFields(data, resolvePublishOptions(publishOptions));
      if (whenClosed !== undefined) throw new Error("Cannot publish on a closed channel");
      return appender.append(fields);
    },

    subscribe(stream: SseController, subscribeOptions: SubscribeOptions = {}): () => void {
      const filter = subscribeOptions.filter;
      if (filter !== undefined && typeof filter !== "function") {
        throw new TypeError(`subscribe() filter must be a function, got ${typeof filter}`);
      }
      if (whenClosed !== undefined) {
        stream.close();
        return () => {};
      }
      // Headers go out now, even when there is nothing to replay; a HEAD
      // request ends here.
      stream.open();
      if (stream.closed) return () => {};
      const subscription: Subscription = {
        stream,
        filter,
        cursor: newestId ?? STREAM_START,
        pending: undefined,
        overflows: 0,
        detach: () => {},
      };
      const lastEventId = stream.lastEventId;
      // A client that saw this instance's newest entry needs no replay.
      const replay = lastEventId !== undefined && lastEventId !== newestId;
      if (replay) {
        subscription.cursor = STREAM_START;
        subscription.pending = [];
      } else if (lastEventId === undefined && newestId !== undefined) {
        // Tell a new client where it joined, without firing an event: if it
        // drops before the next event, it still resumes from here.
        stream.sendPrepared(prepareLastEventId(newestId));
      }
      const onAbort = (): void => unsubscribe(subscription);
      stream.signal.addEventListener("abort", onAbort, { once: true });
      subscription.detach = () => stream.signal.removeEventListener("abort", onAbort);
      // Added before the first read of the replay, so live entries from here
      // on are held for it.
      subscriptions.add(subscription);
      if (replay) void catchUp(subscription, lastEventId);
      return () => unsubscribe(subscription);
    },

    get size(): number {
      return subscriptions.size;
    },

    close(): Promise<void> {
      if (whenClosed !== undefined) return whenClosed;
      for (const subscription of [...subscriptions]) {
        unsubscribe(subscription);
        subscription.stream.close();
      }
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
}
