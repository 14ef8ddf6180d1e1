/**
 * What a client missed: the entries of the stream after the id it last saw,
 * one page at a time, and whether that id is still in the window at all.
 * These reads go over the channel's command connection (the reader is
 * blocked in XREAD).
 */
import type { StreamEntry } from "./entry.js";
import type { RedisClient } from "./redis-connection.js";
import { isStreamId } from "./stream-id.js";

/** One page of what follows an id (the engine's `StorePage`, before entries are prepared). */
export interface MissedPage {
  /**
   * The id is not in the window (trimmed, never issued, or from a stream
   * Redis lost), so the client missed events it cannot get back; the
   * entries are the window from its start.
   */
  readonly reset: boolean;
  /** When not a reset: the id the entries follow. */
  readonly after: string | undefined;
  /** The entries after the id (after a reset, from the window's start), in order. */
  readonly entries: readonly StreamEntry[];
  /** Whether the page reached the end of the stream as it was when read. */
  readonly complete: boolean;
}

async function readFromStart(client: RedisClient, stream: string, count: number, reset: boolean): Promise<MissedPage> {
  const entries = (await client.xRange(stream, "-", "+", { COUNT: count })) ?? [];
  return { reset, after: undefined, entries, complete: entries.length < count };
}

/**
 * Reads up to `count` entries after `after` (from the start when undefined).
 * An id that is not an entry id of the form Redis gives, or whose entry the
 * stream no longer holds, reads as a reset.
 * @throws what the Redis client throws when Redis is unreachable.
 */
export async function readMissed(
  client: RedisClient,
  stream: string,
  after: string | undefined,
  count: number,
): Promise<MissedPage> {
  if (after === undefined) return readFromStart(client, stream, count, false);
  if (!isStreamId(after)) return readFromStart(client, stream, count, true);
  // From `after` itself: seeing it first proves the client's place is still
  // in the window, in the same round trip.
  const page = (await client.xRange(stream, after, "+", { COUNT: count + 1 })) ?? [];
  if (page[0]?.id === after) {
    return { reset: false, after, entries: page.slice(1), complete: page.length < count + 1 };
  }
  // Trimmed away, or never issued: Redis can't tell which, and neither
  // needs telling apart. (The in-memory channel also resumes from the id
  // just before its window; Redis 7.0 keeps no record of trimmed ids.)
  return readFromStart(client, stream, count, true);
}
