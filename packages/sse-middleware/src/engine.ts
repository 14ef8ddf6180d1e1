/**
 * The channel engine: one implementation of subscribe, topics, filters,
 * replay after `Last-Event-ID`, `reset`, the id-only join block, pacing a
 * long replay, the handoff from replay to live with no gap and no
 * duplicate, close, and what happens when user code throws. Every store
 * (the in-memory ring, a Redis stream, …) sits behind the same small
 * {@link ChannelStore} interface; nothing else differs between them.
 *
 * It reaches streams only through the public `SseController`, and agrees
 * with them on timing through the neutral per-tick scheduler (tick.ts).
 */
import {
  channelPublishChannel,
  channelReplayChannel,
  channelResetChannel,
  type ChannelPublishMessage,
  type ChannelReplayMessage,
  type ChannelResetMessage,
} from "./diagnostics.js";
import { joinPreparedEvents, prepareEvent, prepareLastEventId, type PreparedEvent } from "./format.js";
import { optionError, readOptions, resolveTopics } from "./options.js";
import { defer, enterCallout, inCallout, lastDeferred, leaveCallout, runDeferred, type DeferredTask } from "./tick.js";
import type { SseController } from "./types.js";

/** One event as a store keeps it. */
export interface StoredEvent<Position> {
  /** Where it sits in the store. The engine only compares positions, with the store's `compare`. */
  readonly position: Position;
  /** Its SSE id. */
  readonly id: string;
  /** The event as it goes on the wire; undefined for a record that is no event (passed over). */
  readonly prepared: PreparedEvent | undefined;
  /** The topics it is for; undefined for every subscriber. */
  readonly topics: readonly string[] | undefined;
}

/** Where a read starts: after a client's `Last-Event-ID`, or after a position the engine got from the store. */
export type ReadFrom<Position> = { readonly afterId: string } | { readonly after: Position };

/** One page of events a store read. */
export interface StorePage<Position> {
  /**
   * The place asked for is gone (trimmed, never issued): the client missed
   * events it cannot get back. `events` then start at the oldest kept.
   */
  readonly reset: boolean;
  /** When not a reset: the position the page follows (that of the id or position asked for). */
  readonly after: Position | undefined;
  /** The events, in order. */
  readonly events: readonly StoredEvent<Position>[];
  /** Whether the page reached the end of what the store held when it was read. */
  readonly complete: boolean;
}

/**
 * Where a channel's events live. A store appends on its own terms (the
 * engine never calls that) and hands each new event, in order, to
 * {@link ChannelEngine.receive}; the engine reads from it only to replay.
 */
export interface ChannelStore<Position> {
  /** Up to `limit` events after `from`, oldest first. May reject when the store is unreachable; the engine retries. */
  read(from: ReadFrom<Position>, limit: number): StorePage<Position> | Promise<StorePage<Position>>;
  /** Orders two positions: negative when `a` comes first, 0 when equal, positive when later. */
  compare(a: Position, b: Position): number;
}

/** Options of {@link ChannelEngine.subscribe}, as the channels take them. */
export interface SubscribeOptions {
  /**
   * Topics this subscriber receives, besides events published to everyone.
   * An event published with topics reaches only subscribers that name one
   * of them; a subscriber that names none gets untargeted events only.
   */
  topics?: readonly string[];
  /** Called for each event, replayed or live; the subscriber gets it only if this returns true. */
  filter?: (event: PreparedEvent) => boolean;
}

/** What a user callback threw, and for which stream: passed to a channel's `onError`. */
export type ChannelErrorHandler = (error: unknown) => void;

/** Options of {@link createChannelEngine}. */
export interface EngineOptions<Position> {
  /**
   * The newest event the store held when the engine starts: where new
   * subscribers join. Its topics say which new subscribers may be told its id.
   */
  readonly newest: StoredEvent<Position> | undefined;
  /** Reports what a subscriber's filter or stream threw; that subscriber has been ended. */
  readonly onError: ChannelErrorHandler;
  /** The channel as its users hold it, named in diagnostics messages; default: the engine. */
  readonly channel?: object;
}

/** A snapshot of a channel's counters; every number but `subscribers` only grows. */
export interface ChannelStats {
  /** Subscribers now (on Redis: this instance's). */
  subscribers: number;
  /** Events the channel took for its subscribers (on Redis: entries this instance read from the stream, whoever published them). */
  published: number;
  /** Events sent from the store to clients resuming after `Last-Event-ID`, once per client. */
  replayed: number;
  /** `event: reset` notices sent: one per client that resumed from an id no longer kept, one per live subscriber when the store's feed skipped events. */
  resets: number;
}

/** The engine as a channel built on a store uses it. */
export interface ChannelEngine<Position> {
  /** Subscribes a stream; see the channels' `subscribe`. */
  subscribe(stream: SseController, options?: SubscribeOptions): () => void;
  /** Takes the store's new events, in store order; they reach subscribers in this tick's pass. */
  receive(events: readonly StoredEvent<Position>[]): void;
  /**
   * The store's live feed skipped events it cannot hand over (it fell behind
   * the window): live subscribers get `event: reset`, in order, before what
   * comes next. Its data is the id of the first event after the gap meant
   * for each (of those received in the same tick), or "" when none is.
   */
  lost(): void;
  /** How many subscribers there are. */
  readonly size: number;
  /** The channel's counters, as a new plain object. */
  stats(): ChannelStats;
  /** Whether `close()` has run. */
  readonly closed: boolean;
  /**
   * Delivers what was received before the call to live subscribers, then
   * ends every subscriber's stream (one catching up where its replay
   * stands, with no gap); later subscribers end at once.
   */
  close(): void;
}

/** The name of the in-band event telling a client it missed events. */
export const RESET_EVENT = "reset";

/** Catch-up writes pause once this many bytes wait for a client, so a long replay never trips the slow-client bound. */
const CATCH_UP_HIGH_WATER_BYTES = 64 * 1024;

/** Events per store read while a subscriber catches up: what one replaying client holds at most. */
const REPLAY_PAGE = 100;

/**
 * Topics whose newest event the engine remembers, to tell a new subscriber
 * of them where it joined. Past this, the topics updated longest ago are
 * forgotten (a subscriber of one then joins at an older event meant for it).
 */
const MAX_TRACKED_TOPICS = 10_000;

/**
 * Live events held for one catching-up subscriber. Past this they are dropped
 * and the replay reads them from the store instead, so a client that reads
 * slowly costs bounded memory.
 */
const MAX_HELD = 10_000;

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 2000;

/**
 * The delay before retry number `attempt` (0 for the first): doubling from
 * 50 ms up to 2 s, less a random part of up to a half, so many clients that
 * lost the store together don't all come back in the same instant.
 */
export function retryDelay(attempt: number): number {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * An event of a batch: a stored one, or a notice that every live
 * subscriber gets whatever its topics and filter (`reset`, naming the
 * first event after it meant for that subscriber).
 */
interface BatchEvent<Position> extends StoredEvent<Position> {
  readonly notice: boolean;
}

/** A place a client may be told it joined at: an event's id and position. */
interface JoinPoint<Position> {
  readonly id: string;
  readonly position: Position;
}

/** A subscriber's state: replaying from the store, holding the live events that arrive meanwhile, or live. */
type Phase<Position> =
  | { readonly kind: "catching-up"; held: BatchEvent<Position>[]; overflows: number }
  | { readonly kind: "live" };

interface Subscription<Position> {
  /** Replaced, with the topics and filter, when the stream subscribes again. */
  stream: SseController;
  /**
   * The stream's signal as read once, at subscribe: the key it is kept
   * under. A controller of the app's own making might hand out another
   * signal on each read; the subscription must still be found to leave.
   */
  readonly signal: AbortSignal;
  topics: ReadonlySet<string> | undefined;
  filter: ((event: PreparedEvent) => boolean) | undefined;
  phase: Phase<Position>;
  /** Live: the engine's sequence number of the last received event it was given or passed over. */
  seenSeq: number;
  /**
   * The store position of the last event it was given or passed over while
   * catching up; live, events up to it are skipped, and it is dropped once
   * an event past it that can be meant for it arrives.
   */
  cursor: Position | undefined;
  /** The pass that last found it named by a targeted event (see `Batch.run`). */
  touchedBy: number;
  /** The indices, in the batch of pass `touchedBy`, of the events that name it, in order. */
  named: number[];
}

const SUBSCRIBE_OPTIONS = ["topics", "filter"];

function resolveSubscribeOptions(
  options: unknown,
): { topics: ReadonlySet<string> | undefined; filter: ((event: PreparedEvent) => boolean) | undefined } {
  const { topics, filter } = readOptions<SubscribeOptions>(options, "subscribe()", SUBSCRIBE_OPTIONS);
  if (filter !== undefined && typeof filter !== "function") throw optionError("subscribe()", "filter", "a function", filter);
  const names = topics === undefined ? undefined : resolveTopics(topics, "subscribe()", { emptyMeansNone: true });
  return { topics: names === undefined ? undefined : new Set(names), filter };
}

/** Whether an event is meant for a subscriber: untargeted, or sharing one of its topics. */
function reaches<Position>(subscription: Subscription<Position>, event: BatchEvent<Position> | StoredEvent<Position>): boolean {
  const { topics } = event;
  if (topics === undefined) return true;
  const own = subscription.topics;
  if (own === undefined) return false;
  for (const topic of topics) if (own.has(topic)) return true;
  return false;
}

function sameEvents(a: readonly PreparedEvent[], b: readonly PreparedEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Creates the engine of one channel over `store`. The store calls
 * `receive` with each new event; the returned engine does the rest.
 */
export function createChannelEngine<Position>(
  store: ChannelStore<Position>,
  { newest: initialNewest, onError, channel: owner }: EngineOptions<Position>,
): ChannelEngine<Position> {
  // By signal, so one listener function serves every subscription.
  const subscriptions = new Map<AbortSignal, Subscription<Position>>();
  const byTopic = new Map<string, Set<Subscription<Position>>>();
  const closing = new AbortController();
  let newest: JoinPoint<Position> | undefined;
  // Ids a new subscriber may be told it joined at: only of events meant
  // for it, so a join block never names another user's private event.
  let newestUntargeted: JoinPoint<Position> | undefined;
  const newestByTopic = new Map<string, JoinPoint<Position>>();
  let joinBlock: PreparedEvent | undefined;
  let resetNotice: PreparedEvent | undefined;
  // Sequence numbers this engine gives received events, in order.
  let receivedSeq = 0;
  // The last sequence number a pass has taken.
  let passedSeq = 0;
  let passes = 0;
  // The counters of stats(): one addition per event taken, replayed or reset.
  let published = 0;
  let replayed = 0;
  let resets = 0;
  // Batches deferred and not yet passed, oldest first; the last may still grow.
  const pending: Batch[] = [];
  let closed = false;
  if (initialNewest !== undefined) track(initialNewest);

  /** A tick's events for one pass over the subscribers that get any of them. */
  class Batch implements DeferredTask {
    readonly events: BatchEvent<Position>[] = [];
    /** The sequence number of `events[0]`. */
    readonly firstSeq: number;
    /** The indices of the events for everyone (notices included), in order. */
    readonly #untargetedAt: number[] = [];
    #untargeted = 0;
    // A notice names a different event for each subscriber: no shared chunk then.
    #notice = false;
    #shared: PreparedEvent | undefined;

    constructor(firstSeq: number) {
      this.firstSeq = firstSeq;
    }

    get lastSeq(): number {
      return this.firstSeq + this.events.length - 1;
    }

    add(event: BatchEvent<Position>): void {
      this.events.push(event);
      if (event.notice) this.#notice = true;
      if (event.topics !== undefined) return;
      this.#untargetedAt.push(this.events.length - 1);
      if (!event.notice && event.prepared !== undefined) this.#untargeted += 1;
    }

    /** The untargeted events as one chunk, made once for every subscriber no topic of the batch names. */
    shared(): PreparedEvent | undefined {
      if (this.#shared === undefined && this.#untargeted > 0) {
        const untargeted: PreparedEvent[] = [];
        for (const event of this.events) if (event.topics === undefined && event.prepared !== undefined) untargeted.push(event.prepared);
        this.#shared = untargeted.length === 1 ? untargeted[0] : joinPreparedEvents(untargeted);
      }
      return this.#shared;
    }

    run(): void {
      pending.shift();
      passedSeq = this.lastSeq;
      const pass = (passes += 1);
      // Mark who a targeted event names: only they need a list of their own,
      // and when every event is targeted, only they are visited at all. A
      // publish to one user costs that user's subscribers, not the channel's.
      const touched: Subscription<Position>[] = [];
      for (let i = 0; i < this.events.length; i += 1) {
        const { topics } = this.events[i]!;
        if (topics === undefined) continue;
        for (const topic of topics) {
          const members = byTopic.get(topic);
          if (members === undefined) continue;
          for (const subscription of members) {
            if (subscription.touchedBy !== pass) {
              subscription.touchedBy = pass;
              subscription.named = [i];
              touched.push(subscription);
            } else if (subscription.named.at(-1) !== i) {
              subscription.named.push(i);
            }
          }
        }
      }
      if (this.#untargeted === 0 && !this.#notice) {
        for (const subscription of touched) this.#give(subscription, pass);
      } else {
        // Iterating a Map while entries are deleted (a stream that closes) is safe.
        for (const subscription of subscriptions.values()) this.#give(subscription, pass);
      }
      this.#shared = undefined;
      forgetJoin();
    }

    #give(subscription: Subscription<Position>, pass: number): void {
      const { phase } = subscription;
      if (phase.kind === "catching-up") {
        hold(subscription, phase, this.#meantFor(subscription, pass, 0));
        return;
      }
      if (subscription.seenSeq >= this.lastSeq) return;
      const whole = subscription.seenSeq < this.firstSeq;
      if (
        whole &&
        subscription.touchedBy !== pass &&
        subscription.filter === undefined &&
        subscription.cursor === undefined &&
        !this.#notice
      ) {
        // The common case: the same chunk, encoded once, for every such subscriber.
        subscription.seenSeq = this.lastSeq;
        const shared = this.shared();
        if (shared !== undefined) send(subscription, shared);
        return;
      }
      const from = Math.max(0, subscription.seenSeq + 1 - this.firstSeq);
      // Marked first: a send may run re-entrant passes, which must find nothing owed.
      subscription.seenSeq = this.lastSeq;
      deliverEach(subscription, this.#meantFor(subscription, pass, from));
    }

    /**
     * The events from index `from` on that can be meant for a subscriber:
     * those for everyone and those that name it. So it costs what it gets,
     * not the batch: a tick that publishes to 10,000 users one by one must
     * not look at 10,000 events for each of them.
     */
    #meantFor(subscription: Subscription<Position>, pass: number, from: number): readonly BatchEvent<Position>[] {
      const untargeted = this.#untargetedAt;
      if (untargeted.length === this.events.length) return from === 0 ? this.events : this.events.slice(from);
      const named = subscription.touchedBy === pass ? subscription.named : [];
      const events: BatchEvent<Position>[] = [];
      // Two ascending lists of indices, never the same index in both: merged in order.
      for (let u = 0, n = 0; u < untargeted.length || n < named.length; ) {
        const i = n === named.length || (u < untargeted.length && untargeted[u]! < named[n]!) ? untargeted[u++]! : named[n++]!;
        if (i >= from) events.push(this.events[i]!);
      }
      return events;
    }
  }

  function hold(
    subscription: Subscription<Position>,
    phase: Phase<Position> & { kind: "catching-up" },
    events: readonly BatchEvent<Position>[],
  ): void {
    for (const event of events) {
      // A notice is for live subscribers; a replay learns of a gap from the store.
      if (event.notice || !reaches(subscription, event)) continue;
      if (phase.held.length >= MAX_HELD) {
        phase.held = [];
        phase.overflows += 1;
        return;
      }
      phase.held.push(event);
    }
  }

  // The last join deliverEach made. The subscribers a pass reaches alike
  // (every follower of `news`) get equal lists one after another, and one
  // join, encoded once, serves them all, as the shared chunk does for
  // untargeted events: not a join and an encoding per subscriber.
  let lastChosen: readonly PreparedEvent[] = [];
  let lastJoined: PreparedEvent | undefined;

  function join(chosen: PreparedEvent[]): PreparedEvent {
    if (lastJoined === undefined || !sameEvents(chosen, lastChosen)) {
      lastChosen = chosen;
      lastJoined = joinPreparedEvents(chosen);
    }
    return lastJoined;
  }

  /** Drops the last join, so it holds no memory between passes. */
  function forgetJoin(): void {
    lastChosen = [];
    lastJoined = undefined;
  }

  /** Gives a subscriber the events of `events` that are meant for it, as one chunk. */
  function deliverEach(subscription: Subscription<Position>, events: readonly BatchEvent<Position>[]): void {
    const chosen: PreparedEvent[] = [];
    let failure: { error: unknown } | undefined;
    let resetOwed = false;
    for (const event of events) {
      if (event.notice) {
        resetOwed = true;
        continue;
      }
      const { cursor } = subscription;
      if (cursor !== undefined) {
        if (store.compare(event.position, cursor) <= 0) continue;
        subscription.cursor = undefined;
      }
      const { prepared } = event;
      if (prepared === undefined || !reaches(subscription, event)) continue;
      if (resetOwed) {
        // Named after the first event meant for this subscriber, never another's.
        chosen.push(resetNaming(event.id));
        resetOwed = false;
      }
      const verdict = accepts(subscription, prepared);
      if (verdict !== true) {
        if (verdict === false) continue;
        failure = verdict;
        break;
      }
      chosen.push(prepared);
    }
    if (resetOwed && failure === undefined) chosen.push(resetNaming(""));
    // What the filter took before it threw still goes out, as the stream's last words.
    if (chosen.length > 0) send(subscription, chosen.length === 1 ? chosen[0]! : join(chosen));
    if (failure !== undefined) fail(subscription, failure.error);
  }

  /** The `reset` event whose data is `id`; the last one made is reused (subscribers alike get the same). */
  function resetNaming(id: string): PreparedEvent {
    resets += 1;
    if (resetNotice === undefined || resetNotice.data !== id) resetNotice = prepareEvent(id, { event: RESET_EVENT });
    return resetNotice;
  }

  /**
   * Asks a subscriber's filter. What it throws is a bug in that subscriber:
   * it is returned, never thrown, so it cannot stop a pass that serves every
   * other subscriber, nor reach the publisher.
   */
  function accepts(subscription: Subscription<Position>, event: PreparedEvent): boolean | { error: unknown } {
    const { filter } = subscription;
    if (filter === undefined) return true;
    // A stream call the filter makes waits until this delivery is done.
    enterCallout();
    try {
      return Boolean(filter(event));
    } catch (error) {
      return { error };
    } finally {
      leaveCallout();
    }
  }

  /** Hands a chunk to a subscriber's stream; drops the subscriber once the stream is closed. */
  function send(subscription: Subscription<Position>, event: PreparedEvent): boolean {
    let sent: boolean;
    try {
      sent = subscription.stream.sendPrepared(event);
    } catch (error) {
      fail(subscription, error);
      return false;
    }
    if (!sent) remove(subscription);
    return sent;
  }

  function fail(subscription: Subscription<Position>, error: unknown): void {
    remove(subscription);
    try {
      subscription.stream.close();
    } catch {
      // A controller of the app's own making may throw here too; it is gone either way.
    }
    report(error);
  }

  function report(error: unknown): void {
    enterCallout();
    try {
      onError(error);
    } catch {
      // The reporter itself failed: nothing more can be done without crashing.
    } finally {
      leaveCallout();
    }
  }

  function remove(subscription: Subscription<Position>): void {
    const { signal } = subscription;
    if (subscriptions.get(signal) !== subscription) return;
    subscriptions.delete(signal);
    signal.removeEventListener("abort", onAbort);
    unindex(subscription);
  }

  function index(subscription: Subscription<Position>): void {
    if (subscription.topics === undefined) return;
    for (const topic of subscription.topics) {
      let members = byTopic.get(topic);
      if (members === undefined) byTopic.set(topic, (members = new Set()));
      members.add(subscription);
    }
  }

  function unindex(subscription: Subscription<Position>): void {
    if (subscription.topics === undefined) return;
    for (const topic of subscription.topics) {
      const members = byTopic.get(topic);
      members?.delete(subscription);
      if (members?.size === 0) byTopic.delete(topic);
    }
  }

  /**
   * A stream subscribed again keeps its place: its subscription takes the
   * new topics and filter from here on, with no second replay and no
   * second join block.
   */
  function replace(
    subscription: Subscription<Position>,
    stream: SseController,
    topics: ReadonlySet<string> | undefined,
    filter: ((event: PreparedEvent) => boolean) | undefined,
  ): void {
    unindex(subscription);
    subscription.stream = stream;
    subscription.topics = topics;
    subscription.filter = filter;
    index(subscription);
    const { phase } = subscription;
    // Held under the old topics: the replay reads the rest from the store instead.
    if (phase.kind === "catching-up") {
      phase.held = [];
      phase.overflows += 1;
    }
  }

  function unsubscriber(subscription: Subscription<Position>): () => void {
    return () => {
      if (!isActive(subscription)) return;
      // What was received before it left was meant for it. From a filter,
      // the pass under way has not reached every subscriber yet: it leaves
      // after that pass.
      if (inCallout()) defer({ run: () => remove(subscription) });
      else {
        runDeferred();
        remove(subscription);
      }
    };
  }

  function isActive(subscription: Subscription<Position>): boolean {
    return subscriptions.get(subscription.signal) === subscription && !subscription.stream.closed;
  }

  // One function for every subscription: the signal says whose stream went.
  function onAbort(this: AbortSignal): void {
    const subscription = subscriptions.get(this);
    if (subscription !== undefined) remove(subscription);
  }

  function receive(events: readonly StoredEvent<Position>[]): void {
    const tell = channelPublishChannel.hasSubscribers;
    for (const event of events) {
      track(event);
      take({ ...event, notice: false });
      const { prepared } = event;
      if (prepared === undefined) continue;
      published += 1;
      if (tell) {
        channelPublishChannel.publish({
          channel: owner ?? engine,
          id: event.id,
          event: prepared.event,
          topics: event.topics,
        } satisfies ChannelPublishMessage);
      }
    }
  }

  /** Notes where a new subscriber would join after `event`, for everyone and for each of its topics. */
  function track(event: StoredEvent<Position>): void {
    const point: JoinPoint<Position> = { id: event.id, position: event.position };
    newest = point;
    if (event.prepared === undefined) return;
    if (event.topics === undefined) {
      newestUntargeted = point;
      return;
    }
    for (const topic of event.topics) {
      // Deleted first, so the Map's order is the order of the last update.
      newestByTopic.delete(topic);
      newestByTopic.set(topic, point);
    }
    while (newestByTopic.size > MAX_TRACKED_TOPICS) newestByTopic.delete(newestByTopic.keys().next().value!);
  }

  /** The newest event meant for a new subscriber, as far as the engine knows: the id its join block may name. */
  function joinPoint(subscription: Subscription<Position>): JoinPoint<Position> | undefined {
    let point = newestUntargeted;
    if (subscription.topics === undefined) return point;
    for (const topic of subscription.topics) {
      const candidate = newestByTopic.get(topic);
      if (candidate !== undefined && (point === undefined || store.compare(candidate.position, point.position) > 0)) {
        point = candidate;
      }
    }
    return point;
  }

  function take(event: BatchEvent<Position>): void {
    receivedSeq += 1;
    let batch = pending.at(-1);
    // Only while it is the last work deferred: an event of another channel
    // in between must keep its place on the wire.
    if (batch === undefined || lastDeferred() !== batch) {
      batch = new Batch(receivedSeq);
      pending.push(batch);
      defer(batch);
    }
    batch.add(event);
  }


  /**
   * Replays what a client missed from the store, then makes it live with no
   * gap and no duplicate. Live events that arrive meanwhile are held; the
   * switch happens once the replay has read up to the first of them (the
   * two overlap), or once a page reached the end of the store while holding
   * lost nothing (whatever came after that page is held). Positions drop
   * the overlap.
   */
  async function catchUp(subscription: Subscription<Position>, lastEventId: string): Promise<void> {
    const { stream } = subscription;
    let from: ReadFrom<Position> = { afterId: lastEventId };
    let failures = 0;
    // A reset goes out with the first kept event meant for this subscriber,
    // and names it: the oldest kept id may be another user's private event.
    let resetOwed = false;
    // Events sent from the store to this stream, told when the replay is over.
    let sent = 0;
    try {
      while (isActive(subscription)) {
        const phase = subscription.phase as Phase<Position> & { kind: "catching-up" };
        const overflows = phase.overflows;
        let page: StorePage<Position>;
        try {
          // A store that answers at once (memory) is not awaited: a replay
          // that fits one page is on the stream before subscribe() returns.
          const result = store.read(from, REPLAY_PAGE);
          page = result instanceof Promise ? await result : result;
          failures = 0;
        } catch {
          // The store is away: the client stays connected (heartbeats go on),
          // and the replay goes on from here when it is back.
          await sleep(retryDelay(failures), closing.signal);
          failures += 1;
          continue;
        }
        if (!isActive(subscription)) return;
        if (page.reset) {
          resetOwed = true;
          subscription.cursor = undefined;
        } else if (page.after !== undefined && (subscription.cursor === undefined || store.compare(page.after, subscription.cursor) > 0)) {
          subscription.cursor = page.after;
        }
        for (const event of page.events) {
          if (subscription.cursor !== undefined && store.compare(event.position, subscription.cursor) <= 0) continue;
          subscription.cursor = event.position;
          if (event.prepared === undefined || !reaches(subscription, event)) continue;
          if (resetOwed) {
            resetOwed = false;
            if (!send(subscription, resetNaming(event.id))) return;
            tellResume(subscription, lastEventId, event.id);
          }
          const verdict = accepts(subscription, event.prepared);
          if (verdict === false) continue;
          if (verdict !== true) {
            fail(subscription, verdict.error);
            return;
          }
          if (!send(subscription, event.prepared)) return;
          sent += 1;
          replayed += 1;
          if (stream.bufferedBytes > CATCH_UP_HIGH_WATER_BYTES) {
            await stream.drain();
            if (!isActive(subscription)) return;
          }
        }
        const held = phase.held;
        const overlaps =
          held.length > 0 && subscription.cursor !== undefined && store.compare(held[0]!.position, subscription.cursor) <= 0;
        if (overlaps || (page.complete && phase.overflows === overflows)) {
          goLive(subscription, held, resetOwed, lastEventId);
          return;
        }
        from = subscription.cursor === undefined ? { afterId: lastEventId } : { after: subscription.cursor };
      }
    } finally {
      if (channelReplayChannel.hasSubscribers) {
        channelReplayChannel.publish({ channel: owner ?? engine, stream, lastEventId, replayed: sent } satisfies ChannelReplayMessage);
      }
    }
  }

  /** Tells the diagnostics channel of a reset sent to a resuming client, naming `id`. */
  function tellResume(subscription: Subscription<Position>, lastEventId: string, id: string): void {
    if (!channelResetChannel.hasSubscribers) return;
    channelResetChannel.publish({
      cause: "resume",
      channel: owner ?? engine,
      oldestId: id,
      stream: subscription.stream,
      lastEventId,
    } satisfies ChannelResetMessage);
  }

  function goLive(
    subscription: Subscription<Position>,
    held: readonly BatchEvent<Position>[],
    resetOwed: boolean,
    lastEventId: string,
  ): void {
    const { cursor } = subscription;
    const fresh = cursor === undefined ? held : held.filter((event) => store.compare(event.position, cursor) > 0);
    // Nothing kept was meant for it: the reset names the first live event held for it, if any.
    if (resetOwed) {
      const named = fresh[0]?.id ?? "";
      if (!send(subscription, resetNaming(named))) return;
      tellResume(subscription, lastEventId, named);
    }
    subscription.phase = { kind: "live" };
    // Held events are those passes took; the passes to come skip what the
    // replay already gave (it may have read ahead of the live feed) by the
    // cursor, which they drop once past it.
    subscription.seenSeq = passedSeq;
    if (fresh.length > 0) deliverEach(subscription, fresh);
    forgetJoin();
  }

  const engine: ChannelEngine<Position> = {
    subscribe(stream: SseController, options: SubscribeOptions = {}): () => void {
      const { topics, filter } = resolveSubscribeOptions(options);
      if (closed) {
        stream.close();
        return () => {};
      }
      // Headers go out now, even when there is nothing to replay; a HEAD request ends here.
      stream.open();
      if (stream.closed) return () => {};
      const signal = stream.signal;
      const previous = subscriptions.get(signal);
      if (previous !== undefined) {
        // What was received before the call goes out under the old topics
        // and filter (from a filter: once the pass under way is done).
        if (inCallout()) {
          defer({ run: () => void (subscriptions.get(signal) === previous && replace(previous, stream, topics, filter)) });
          return unsubscriber(previous);
        }
        runDeferred();
        if (subscriptions.get(signal) === previous) {
          replace(previous, stream, topics, filter);
          return unsubscriber(previous);
        }
        if (stream.closed) return () => {};
      }
      const lastEventId = stream.lastEventId;
      // A client that saw the newest event needs no replay.
      const replay = lastEventId !== undefined && lastEventId !== newest?.id;
      const subscription: Subscription<Position> = {
        stream,
        signal,
        topics,
        filter,
        phase: replay ? { kind: "catching-up", held: [], overflows: 0 } : { kind: "live" },
        // A new client starts after what was received before it came.
        seenSeq: receivedSeq,
        cursor: undefined,
        touchedBy: 0,
        named: [],
      };
      signal.addEventListener("abort", onAbort);
      subscriptions.set(signal, subscription);
      index(subscription);
      const joinAt = !replay && lastEventId === undefined ? joinPoint(subscription) : undefined;
      if (joinAt !== undefined) {
        // Tell a new client where it joined, without firing an event: if it
        // drops before the next event, it still resumes from here. Only at
        // an event meant for it: the newest event may be another user's.
        if (joinBlock?.id !== joinAt.id) joinBlock = prepareLastEventId(joinAt.id);
        if (!send(subscription, joinBlock)) return () => {};
      }
      // Whatever the stream throws on the way (a controller of the app's
      // own making) ends this subscriber and is reported, like a filter's.
      if (replay) catchUp(subscription, lastEventId).catch((error: unknown) => fail(subscription, error));
      return unsubscriber(subscription);
    },

    receive,

    lost(): void {
      // What a replay holds has the same hole: it reads on from the store instead.
      let live = 0;
      for (const { phase } of subscriptions.values()) {
        if (phase.kind !== "catching-up") {
          live += 1;
          continue;
        }
        phase.held = [];
        phase.overflows += 1;
      }
      if (channelResetChannel.hasSubscribers) {
        channelResetChannel.publish({ cause: "gap", channel: owner ?? engine, subscribers: live } satisfies ChannelResetMessage);
      }
      // A notice has no place in the store: nothing compares its position.
      const position = newest?.position as Position;
      take({ position, id: "", prepared: undefined, topics: undefined, notice: true });
    },

    get size(): number {
      return subscriptions.size;
    },

    stats(): ChannelStats {
      return { subscribers: subscriptions.size, published, replayed, resets };
    },

    get closed(): boolean {
      return closed;
    },

    close(): void {
      if (closed) return;
      closed = true;
      closing.abort();
      // After the passes already deferred: what was received before the
      // call, even from inside a pass (a filter), is delivered first.
      defer({
        run: () => {
          for (const subscription of [...subscriptions.values()]) {
            remove(subscription);
            try {
              subscription.stream.close();
            } catch (error) {
              // One controller's bug must not keep the others open.
              report(error);
            }
          }
        },
      });
      runDeferred();
    },
  };
  return engine;
}
