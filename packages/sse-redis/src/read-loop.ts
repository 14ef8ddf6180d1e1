/**
 * The one read loop of a channel instance: it reads every new entry of the
 * stream, in order, and hands each batch to the instance's fan-out. It runs
 * on a connection of its own, since a blocked connection can serve nothing
 * else. When Redis goes away it retries with backoff and resumes after the
 * last id it read, so an outage shorter than the stream's window loses
 * nothing; when the loop fell further behind than the window (the entries
 * after its last id were trimmed), it says so before going on.
 */
import { retryDelay, sleep } from "sse-middleware/adapter";
import type { StreamEntry } from "./entry.js";
import { readMissed } from "./missed-entries.js";
import type { RedisConnection } from "./redis-connection.js";
import { STREAM_START } from "./stream-id.js";

/**
 * How long one XREAD waits for new entries. Its reply, empty or not, is the
 * traffic that shows the connection is alive: it must come well within the
 * connection's silence timeout (see redis-connection.ts).
 */
const BLOCK_MS = 5000;

/** Entries read per round trip: a burst is fanned out in batches. */
const BATCH = 1000;

/** What the loop reads, from where, and where it hands the entries. */
export interface ReadLoopOptions {
  readonly connection: RedisConnection;
  readonly stream: string;
  /**
   * The id of the last entry already handled; the loop reads what comes
   * after. Undefined when the stream was empty: it reads from the start.
   */
  readonly after: string | undefined;
  /** Aborted when the channel closes. */
  readonly signal: AbortSignal;
  /** Called with each batch, in stream order; it must not throw. */
  readonly onEntries: (entries: readonly StreamEntry[]) => void;
  /**
   * Called when the entries after the last one handled were trimmed away:
   * what comes next (handed over right after, in the same tick) follows a
   * gap. It must not throw.
   */
  readonly onGap: () => void;
}

/**
 * Runs until `signal` aborts; never rejects. XREAD only waits for news:
 * it would read from a trimmed id without complaint, so the entries are
 * read with XRANGE from the last id itself, which proves they follow on.
 */
export async function readLoop({ connection, stream, after, signal, onEntries, onGap }: ReadLoopOptions): Promise<void> {
  let lastId = after;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const page = await connection.run((client) => readMissed(client, stream, lastId, BATCH));
      if (signal.aborted) return;
      failures = 0;
      // A gap into an empty stream (Redis lost it) is told with the first
      // entry that comes, so the reset names the id that follows it.
      const waitingForEntries = page.reset && page.entries.length === 0;
      if (!waitingForEntries) {
        if (page.reset) onGap();
        if (page.entries.length > 0) {
          lastId = page.entries[page.entries.length - 1]!.id;
          onEntries(page.entries);
        }
        if (!page.complete) continue;
      }
      // Up to date: wait until something is added after it (anything, when
      // the last id is gone from an empty stream).
      const from = waitingForEntries ? STREAM_START : (lastId ?? STREAM_START);
      await connection.run((client) => client.xRead({ key: stream, id: from }, { COUNT: 1, BLOCK: BLOCK_MS }), BLOCK_MS);
    } catch {
      if (signal.aborted) return;
      // Redis is away (or the connection was cut): the client reconnects by
      // itself; try again after a while, from the same id.
      await sleep(retryDelay(failures), signal);
      failures += 1;
    }
  }
}
