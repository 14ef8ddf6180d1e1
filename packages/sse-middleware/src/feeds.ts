/**
 * A channel hands its subscribers a tick's events once per tick rather than
 * once per event: fanning each event out at once would walk every
 * subscriber's state for every event, and with thousands of subscribers
 * that walk, not the writing, is what limits a burst. Until the channel's
 * pass, the events are owed. A stream settles what it is owed before it
 * sends, measures or writes anything of its own, so the wire keeps the order
 * of the calls.
 */

/** What a stream asks for the events owed to it so far (a channel's subscription). */
export interface Feed {
  settleOwed(): void;
}

/**
 * The internal method by which a channel attaches its feed to a stream. It
 * returns the detach function, or undefined when the stream already has a
 * feed: a stream settles one channel lazily, and the channel must give it
 * each event as it is published instead. Then every event a settle pulls in
 * was published before whatever triggered the settle, so the wire keeps the
 * order of publishing across channels too.
 */
export const attachFeed: unique symbol = Symbol("sse-middleware.attachFeed");

/** A stream that settles a feed before it writes. */
export interface FeedTarget {
  [attachFeed](feed: Feed): (() => void) | undefined;
}

/** Whether `stream` settles feeds (streams made by `sse()` do; other controllers may not). */
export function acceptsFeeds(stream: object): stream is FeedTarget {
  return attachFeed in stream;
}
