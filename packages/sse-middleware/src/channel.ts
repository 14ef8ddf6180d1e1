import {
  assertEventId,
  assertEventName,
  describeValue,
  joinPreparedEvents,
  PreparedEvent,
  prepareEvent,
  prepareLastEventId,
} from "./format.js";
import { acceptsFeeds, attachFeed } from "./feeds.js";
import type { SseController } from "./types.js";

/** Options of {@link createChannel}. */
export interface ChannelOptions {
  /** How many of the latest events to keep for replay to reconnecting clients. Default 0. */
  history?: number;
}

/** Options of {@link Channel.publish}. */
export interface PublishOptions {
  /** The event type. */
  event?: string;
  /** The event id; by default the channel numbers events 1, 2, 3, … */
  id?: string;
}

/** Options of {@link Channel.subscribe}. */
export interface SubscribeOptions {
  /** Called for each event, replayed or live; the subscriber gets it only if this returns true. */
  filter?: (event: PreparedEvent) => boolean;
}

/** A broadcast: events published once, delivered to every subscriber, kept for replay. */
export interface Channel {
  /**
   * Serialises the event once, keeps it in the history, and writes the same
   * bytes to every subscriber.
   * @returns the event's id.
   * @throws TypeError for invalid data or fields; Error once the channel is closed.
   */
  publish(data: unknown, options?: PublishOptions): string;
  /**
   * Replays the kept events after the stream's `lastEventId`, then delivers
   * live events, with no gap and no duplicate. An id the channel no longer
   * holds gets an `event: reset` (its data: the oldest id kept) and the whole
   * window. The subscriber leaves by itself when its stream closes.
   * @returns a function that unsubscribes.
   */
  subscribe(stream: SseController, options?: SubscribeOptions): () => void;
  /** How many subscribers are connected. */
  readonly size: number;
  /** Ends every subscriber's stream; later subscribers are ended at once, and publish throws. */
  close(): void;
}

/** One subscriber and how far it has got. */
interface Subscription {
  readonly stream: SseController;
  readonly filter: ((event: PreparedEvent) => boolean) | undefined;
  /** While catching up: the sequence number of the next event to send. Live once undefined. */
  nextSeq: number | undefined;
  /** Once live: the sequence number of the last event handed to the stream (or passed over by its filter). */
  sentSeq: number;
  /** Whether it gets each event as it is published: its stream has another channel's feed, or none at all. */
  eager: boolean;
  /** Removes the abort listener and the feed; set once subscribed. */
  detach: () => void;
  /** Hands the stream what it is owed; the stream calls it (see feeds.ts). */
  settleOwed(): void;
}

/** The name of the in-band event telling a client it missed events. */
const RESET_EVENT = "reset";

/**
 * Catch-up writes pause once this many bytes wait for a client, until it
 * takes them: a long replay never trips the slow-client bound.
 */
const CATCH_UP_HIGH_WATER_BYTES = 64 * 1024;

/** A ring of the latest events, addressable by sequence number and by id. */
class History {
  readonly #capacity: number;
  // One slot more than the window, so the id of the event just before the
  // window still resolves: a client that saw it has missed nothing.
  readonly #ring: (PreparedEvent | undefined)[];
  readonly #seqById = new Map<string, number>();
  /** Sequence number of the newest event; 0 before the first. */
  lastSeq = 0;
  /** Id of the newest event. */
  lastId: string | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#ring = new Array<PreparedEvent | undefined>(capacity + 1);
  }

  /** Sequence number of the oldest event kept (one past the newest when none is). */
  get firstSeq(): number {
    return Math.max(1, this.lastSeq - this.#capacity + 1);
  }

  add(event: PreparedEvent, id: string): void {
    const seq = (this.lastSeq += 1);
    this.lastId = id;
    const slot = seq % this.#ring.length;
    const evicted = this.#ring[slot];
    // Ids may repeat; only forget the id if it still points at the evicted event.
    if (evicted !== undefined && this.#seqById.get(evicted.id!) === seq - this.#ring.length) {
      this.#seqById.delete(evicted.id!);
    }
    this.#ring[slot] = event;
    this.#seqById.set(id, seq);
  }

  at(seq: number): PreparedEvent | undefined {
    if (seq < this.firstSeq || seq > this.lastSeq) return undefined;
    return this.#ring[seq % this.#ring.length];
  }

  /**
   * Where a client that last saw `id` resumes: the sequence number of the
   * next event it needs, or undefined when events after `id` are gone (or
   * `id` was never issued).
   */
  resumeAfter(id: string): number | undefined {
    const seq = this.#seqById.get(id);
    if (seq === undefined || seq < this.firstSeq - 1) return undefined;
    return seq + 1;
  }
}

function resolveHistory(options: unknown): number {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`createChannel() options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "history") throw new TypeError(`createChannel() option ${JSON.stringify(key)} is unknown; expected history`);
  }
  const { history = 0 } = options as ChannelOptions;
  if (!Number.isSafeInteger(history) || history < 0) {
    throw new TypeError(`createChannel() history must be a non-negative integer of events, got ${describeValue(history)}`);
  }
  return history;
}

function resolvePublishOptions(options: unknown): PublishOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`publish() options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "event" && key !== "id") {
      throw new TypeError(`publish() option ${JSON.stringify(key)} is unknown; expected event or id`);
    }
  }
  const { event, id } = options as PublishOptions;
  if (event !== undefined) assertEventName(event);
  if (id !== undefined) assertEventId(id);
  return { event, id };
}

/**
 * Creates a channel: publish once, deliver to every subscriber, replay the
 * last `history` events to clients that reconnect with `Last-Event-ID`.
 * @throws TypeError for an invalid option.
 */
export function createChannel(options: ChannelOptions = {}): Channel {
  const history = new History(resolveHistory(options));
  const subscriptions = new Set<Subscription>();
  // Those whose stream cannot settle what it is owed; they get each event as it is published.
  const eagerSubscriptions = new Set<Subscription>();
  let closed = false;
  // The events of this tick (sequence numbers tickSeq, tickSeq + 1, …) that
  // some live subscriber may still be owed; see feeds.ts.
  let tick: PreparedEvent[] = [];
  let tickSeq = 1;
  let fanOutScheduled = false;
  // The tick so far as one chunk, shared by every subscriber owed all of it.
  let joinedTick: PreparedEvent | undefined;
  let joinedTickLength = 0;

  function wholeTick(): PreparedEvent {
    if (joinedTick === undefined || joinedTickLength !== tick.length) {
      joinedTick = joinPreparedEvents(tick);
      joinedTickLength = tick.length;
    }
    return joinedTick;
  }

  function deliver(subscription: Subscription, event: PreparedEvent): boolean {
    if (subscription.filter !== undefined && !subscription.filter(event)) return true;
    return subscription.stream.sendPrepared(event);
  }

  // Hands a live subscriber every event published since the last one it got.
  function settle(subscription: Subscription): void {
    const lastSeq = history.lastSeq;
    if (subscription.nextSeq !== undefined || subscription.sentSeq >= lastSeq) return;
    const from = subscription.sentSeq + 1;
    // Marked first: the stream settles again before each send, and must find nothing owed.
    subscription.sentSeq = lastSeq;
    if (from === tickSeq && lastSeq > from && subscription.filter === undefined) {
      if (!deliver(subscription, wholeTick())) unsubscribe(subscription);
      return;
    }
    for (let seq = from; seq <= lastSeq; seq += 1) {
      const event = seq >= tickSeq ? tick[seq - tickSeq] : history.at(seq);
      if (event !== undefined && !deliver(subscription, event)) {
        unsubscribe(subscription);
        return;
      }
    }
  }

  // Shared by every subscription, rather than a closure each: the stream
  // calls it before each write, and it must cost no more than a method call
  // on an object already at hand.
  function settleOwed(this: Subscription): void {
    settle(this);
  }

  // One pass per tick over the subscribers, each taking the whole tick's
  // events while its state is at hand.
  function fanOut(): void {
    fanOutScheduled = false;
    for (const subscription of subscriptions) settle(subscription);
    // Events published during the pass wait, with the tick, for the next one.
    if (!fanOutScheduled) {
      tick = [];
      joinedTick = undefined;
    }
  }

  // Sends kept events from `nextSeq` on, pausing while the client is
  // behind. Live events published meanwhile land in the history and are
  // picked up here in order, so the switch to live has no gap or duplicate.
  async function catchUp(subscription: Subscription): Promise<void> {
    const { stream } = subscription;
    while (subscription.nextSeq !== undefined && !stream.closed) {
      const seq = subscription.nextSeq;
      if (seq > history.lastSeq) {
        subscription.nextSeq = undefined;
        subscription.sentSeq = history.lastSeq;
        return;
      }
      if (seq < history.firstSeq) {
        // The window moved past this client while it was slow to read.
        stream.sendPrepared(prepareEvent(history.at(history.firstSeq)?.id ?? "", { event: RESET_EVENT }));
        subscription.nextSeq = history.firstSeq;
        continue;
      }
      subscription.nextSeq = seq + 1;
      deliver(subscription, history.at(seq)!);
      if (stream.bufferedBytes > CATCH_UP_HIGH_WATER_BYTES) await stream.drain();
    }
  }

  function unsubscribe(subscription: Subscription): void {
    if (!subscriptions.has(subscription)) return;
    // What was published before it left was meant for it.
    if (!subscription.stream.closed) settle(subscription);
    if (subscriptions.delete(subscription)) {
      eagerSubscriptions.delete(subscription);
      subscription.detach();
    }
  }

  return {
    publish(data: unknown, publishOptions: PublishOptions = {}): string {
      const fields = resolvePublishOptions(publishOptions);
      if (closed) throw new Error("Cannot publish on a closed channel");
      const id = fields.id ?? String(history.lastSeq + 1);
      const event = prepareEvent(data, { event: fields.event, id });
      history.add(event, id);
      if (tick.length === 0) tickSeq = history.lastSeq;
      tick.push(event);
      if (!fanOutScheduled) {
        fanOutScheduled = true;
        process.nextTick(fanOut);
      }
      for (const subscription of eagerSubscriptions) settle(subscription);
      return id;
    },

    subscribe(stream: SseController, subscribeOptions: SubscribeOptions = {}): () => void {
      const filter = subscribeOptions.filter;
      if (filter !== undefined && typeof filter !== "function") {
        throw new TypeError(`subscribe() filter must be a function, got ${describeValue(filter)}`);
      }
      if (closed) {
        stream.close();
        return () => {};
      }
      // Headers go out now, even when there is nothing to replay; a HEAD
      // request ends here.
      stream.open();
      if (stream.closed) return () => {};
      const onAbort = (): void => unsubscribe(subscription);
      const subscription: Subscription = {
        stream,
        filter,
        nextSeq: undefined,
        // A new client starts after what was published before it came.
        sentSeq: history.lastSeq,
        eager: true,
        detach: () => stream.signal.removeEventListener("abort", onAbort),
        settleOwed,
      };
      const detachFeed = acceptsFeeds(stream) ? stream[attachFeed](subscription) : undefined;
      if (detachFeed !== undefined) {
        subscription.eager = false;
        subscription.detach = () => {
          stream.signal.removeEventListener("abort", onAbort);
          detachFeed();
        };
      }
      const lastEventId = stream.lastEventId;
      if (lastEventId !== undefined) {
        const resumeSeq = history.resumeAfter(lastEventId);
        if (resumeSeq === undefined) {
          stream.sendPrepared(prepareEvent(history.at(history.firstSeq)?.id ?? "", { event: RESET_EVENT }));
          subscription.nextSeq = history.firstSeq;
        } else {
          subscription.nextSeq = resumeSeq;
        }
      } else if (history.lastId !== undefined) {
        // Tell a new client where it joined, without firing an event: if it
        // drops before the next event, it still resumes from here.
        stream.sendPrepared(prepareLastEventId(history.lastId));
      }
      stream.signal.addEventListener("abort", onAbort, { once: true });
      subscriptions.add(subscription);
      if (subscription.eager) eagerSubscriptions.add(subscription);
      if (subscription.nextSeq !== undefined) void catchUp(subscription);
      return () => unsubscribe(subscription);
    },

    get size(): number {
      return subscriptions.size;
    },

    close(): void {
      closed = true;
      for (const subscription of [...subscriptions]) {
        unsubscribe(subscription);
        subscription.stream.close();
      }
    },
  };
}
