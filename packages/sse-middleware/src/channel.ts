import { assertEventId, assertEventName, prepareEvent, type PreparedEvent } from "./format.js";
import {
  createChannelEngine,
  type ChannelErrorHandler,
  type ChannelStats,
  type ChannelStore,
  type ReadFrom,
  type StoredEvent,
  type StorePage,
  type SubscribeOptions,
} from "./engine.js";
import { assertInteger, optionError, readOptions, resolveTopics } from "./options.js";
import type { SseController } from "./types.js";

export type { ChannelStats, SubscribeOptions } from "./engine.js";

/** Event names mapped to the type of their data, for a typed channel: `createChannel<{ story: Story }>()`. */
export type EventMap = Record<string, unknown>;

/** Options of {@link createChannel}. */
export interface ChannelOptions {
  /** How many of the latest events to keep for replay to reconnecting clients. Default 0. */
  history?: number;
  /**
   * Called with what a subscriber's `filter` (or its stream) threw. That
   * subscriber's stream has been ended; every other one goes on. Default:
   * `process.emitWarning`.
   */
  onError?: (error: unknown) => void;
}

/** Options of {@link Channel.publish}. */
export interface PublishOptions<Event extends string = string> {
  /** The event type. */
  event?: Event;
  /** The event id; by default the channel numbers events 1, 2, 3, … */
  id?: string;
  /**
   * The topics the event is for: only subscribers that name one of them get
   * it. Without topics, every subscriber gets it.
   */
  topics?: readonly string[];
}

/** The data of an event published without a type: `message` in a typed channel's map. */
export type MessageData<Events extends EventMap> = "message" extends keyof Events ? Events["message"] : never;

/**
 * The options of a publish whose data is not checked against its event
 * name: any name on an untyped channel, none (`message`) on a typed one.
 */
export type UncheckedPublishOptions<Events extends EventMap, Options extends { event?: string }> = string extends keyof Events
  ? Options
  : Omit<Options, "event">;

/**
 * Events published once, delivered to every subscriber they are meant for,
 * kept for replay: a broadcast, or per-topic and per-user delivery over one
 * connection.
 */
export interface Channel<Events extends EventMap = EventMap> {
  /**
   * Serialises the event once, keeps it in the history, and writes the same
   * bytes to every subscriber it is meant for: all of them, or with
   * `topics`, those that name one of its topics.
   * @returns the event's id.
   * @throws TypeError for invalid data, fields or topics, before anything is
   * kept; Error once the channel is closed.
   */
  publish<Event extends keyof Events & string>(data: Events[Event], options: PublishOptions<Event> & { event: Event }): string;
  publish(data: MessageData<Events>, options?: UncheckedPublishOptions<Events, PublishOptions>): string;
  /**
   * Replays the kept events after the stream's `lastEventId` that are meant
   * for it, then delivers live events, with no gap and no duplicate. An id
   * the channel no longer holds gets an `event: reset` (its data: the oldest
   * kept id meant for it) and the whole window. The subscriber leaves by itself when its
   * stream closes; subscribing the same stream again replaces its topics and
   * filter from then on, without a second replay.
   * @returns a function that unsubscribes.
   * @throws TypeError for bad topics or filter.
   */
  subscribe(stream: SseController, options?: SubscribeOptions): () => void;
  /** How many subscribers are connected. */
  readonly size: number;
  /** The channel's counters (`subscribers`, `published`, `replayed`, `resets`), as a new plain object. */
  stats(): ChannelStats;
  /**
   * Delivers everything published before the call to every live
   * subscriber, then ends every subscriber's stream (one still catching up
   * where its replay stands); later subscribers are ended at once, and
   * publish throws.
   */
  close(): void;
}

/**
 * A ring of the latest events, addressable by sequence number (its
 * positions) and by id.
 */
class MemoryStore implements ChannelStore<number> {
  readonly #capacity: number;
  // One slot more than the window, so the id of the event just before the
  // window still resolves: a client that saw it has missed nothing.
  readonly #ring: (StoredEvent<number> | undefined)[];
  readonly #seqById = new Map<string, number>();
  /** Sequence number of the newest event; 0 before the first. */
  lastSeq = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#ring = new Array<StoredEvent<number> | undefined>(capacity + 1);
  }

  /** Sequence number of the oldest event kept (one past the newest when none is). */
  get #firstSeq(): number {
    return Math.max(1, this.lastSeq - this.#capacity + 1);
  }

  append(id: string, prepared: PreparedEvent, topics: readonly string[] | undefined): StoredEvent<number> {
    const seq = (this.lastSeq += 1);
    const slot = seq % this.#ring.length;
    const evicted = this.#ring[slot];
    // Ids may repeat; only forget the id if it still points at the evicted event.
    if (evicted !== undefined && this.#seqById.get(evicted.id) === evicted.position) this.#seqById.delete(evicted.id);
    const event: StoredEvent<number> = { position: seq, id, prepared, topics };
    this.#ring[slot] = event;
    this.#seqById.set(id, seq);
    return event;
  }

  read(from: ReadFrom<number>, limit: number): StorePage<number> {
    const first = this.#firstSeq;
    let after = "after" in from ? from.after : this.#seqById.get(from.afterId);
    // Gone: the window moved past it, or it was never issued.
    const reset = after === undefined || after < first - 1;
    if (reset) after = first - 1;
    const events: StoredEvent<number>[] = [];
    const last = Math.min(this.lastSeq, after! + limit);
    for (let seq = after! + 1; seq <= last; seq += 1) events.push(this.#ring[seq % this.#ring.length]!);
    return {
      reset,
      after: reset ? undefined : after,
      events,
      complete: last === this.lastSeq,
    };
  }

  compare(a: number, b: number): number {
    return a - b;
  }
}

/** The default `onError`: a process warning, which never ends the process. */
export function warnOnError(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)));
}

const CHANNEL_OPTIONS = ["history", "onError"];
const PUBLISH_OPTIONS = ["event", "id", "topics"];

/** Checks the `onError` option every channel takes. */
export function resolveOnError(onError: unknown, where: string): ChannelErrorHandler {
  if (onError === undefined) return warnOnError;
  if (typeof onError !== "function") throw optionError(where, "onError", "a function", onError);
  return onError as ChannelErrorHandler;
}

/**
 * Checks the options of a publish, on every store alike.
 * @throws TypeError naming the value and the rule.
 */
export function resolvePublishOptions(
  options: unknown,
  known: readonly string[] = PUBLISH_OPTIONS,
): { event: string | undefined; id: string | undefined; topics: readonly string[] | undefined } {
  const { event, id, topics } = readOptions<PublishOptions>(options, "publish()", known);
  if (event !== undefined) assertEventName(event);
  if (id !== undefined) assertEventId(id);
  return { event, id, topics: topics === undefined ? undefined : resolveTopics(topics, "publish()", { emptyMeansNone: false }) };
}

/**
 * Creates a channel in memory: publish once, deliver to every subscriber an
 * event is meant for, replay the last `history` events to clients that
 * reconnect with `Last-Event-ID`.
 * @throws TypeError for an invalid option.
 */
export function createChannel<Events extends EventMap = EventMap>(options: ChannelOptions = {}): Channel<Events> {
  const { history = 0, onError } = readOptions<ChannelOptions>(options, "createChannel()", CHANNEL_OPTIONS);
  assertInteger(history, "createChannel()", "history", { min: 0, rule: "a non-negative integer of events" });
  const store = new MemoryStore(history);
  const channel: Channel<Events> = {
    publish(data: unknown, publishOptions: PublishOptions = {}): string {
      const { event, id = String(store.lastSeq + 1), topics } = resolvePublishOptions(publishOptions);
      if (engine.closed) throw new Error("Cannot publish on a closed channel");
      const prepared = prepareEvent(data, { event, id });
      engine.receive([store.append(id, prepared, topics)]);
      return id;
    },
    subscribe: (stream, subscribeOptions) => engine.subscribe(stream, subscribeOptions),
    get size(): number {
      return engine.size;
    },
    stats: () => engine.stats(),
    close: () => engine.close(),
  };
  const engine = createChannelEngine(store, { newest: undefined, onError: resolveOnError(onError, "createChannel()"), channel });
  return channel;
}
