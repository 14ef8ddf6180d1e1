/**
 * The one `XREAD BLOCK` loop of a channel instance: it reads every new entry
 * of the stream, in order, and hands each batch to the instance's fan-out.
 * It runs on a connection of its own, since a blocked connection can serve
 * nothing else. When Redis goes away it retries with backoff and resumes
 * after the last id it read, so an outage shorter than the stream's window
 * loses nothing.
 */
import { retryDelay, sleep } from "./backoff.js";
import type { StreamEntry } from "./entry.js";
import type { RedisConnection } from "./redis-connection.js";

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
  /** The id of the last entry already handled; the loop reads what comes after. */
  readonly after: string;
  /** Aborted when the channel closes. */
  readonly signal: AbortSignal;
  /** Called with each batch, in stream order; it must not throw. */
  readonly onEntries: (entries: readonly StreamEntry[]) => void;
}

/** Runs until `signal` aborts; never rejects. */
export async function readLoop({ connection, stream, after, signal, onEntries }: ReadLoopOptions): Promise<void> {
  let lastId = after;
  let failures = 0;
  while (!signal.aborted) {
    let reply;
    try {
      reply = await connection.run((client) => client.xRead({ key: stream, id: lastId }, { COUNT: BATCH, BLOCK: BLOCK_MS }), BLOCK_MS);
      failures = 0;
    } catch {
      if (signal.aborted) return;
      // Redis is away (or the connection was cut): the client reconnects by
      // itself; try again after a while, from the same id.
      await sleep(retryDelay(failures), signal);
      failures += 1;
      continue;
    }
    if (signal.aborted) return;
    const entries = reply?.[0]?.messages;
    if (entries === undefined || entries.length === 0) continue;
    lastId = entries[entries.length - 1]!.id;
    onEntries(entries);
  }
}
