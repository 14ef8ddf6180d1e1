/**
 * How `publish` appends an event to the stream: one `XADD … MAXLEN ~`,
 * bounded in time (the connection's reply timeout) and in number, so a
 * Redis that stops answering costs a bounded amount of waiting work.
 */
import { describeFailure, redactUrl, type RedisConnection } from "./redis-connection.js";

/**
 * Publishes waiting for Redis's reply, at most. Past it `publish` rejects
 * at once: while Redis is slow or frozen, a steady publisher would
 * otherwise pile up events (and their callers) for as long as it lasts.
 */
export const MAX_WAITING_PUBLISHES = 1000;

/** Appends published events to one stream over the channel's command connection. */
export class StreamAppender {
  readonly #connection: RedisConnection;
  readonly #url: string;
  readonly #key: string;
  readonly #maxLen: number;
  /** Appends sent and not settled yet. */
  #waiting = 0;

  constructor(connection: RedisConnection, url: string, key: string, maxLen: number) {
    this.#connection = connection;
    this.#url = url;
    this.#key = key;
    this.#maxLen = maxLen;
  }

  /**
   * Appends an entry and resolves with the id Redis gave it.
   * @throws (rejects with) an Error naming the stream, the server (never
   * its password) and why, when Redis refuses, is unreachable, does not
   * answer in time, or too many appends already wait.
   */
  async append(fields: Record<string, string>): Promise<string> {
    if (this.#waiting >= MAX_WAITING_PUBLISHES) {
      throw this.#failure(`${MAX_WAITING_PUBLISHES} publishes are already waiting for Redis`);
    }
    this.#waiting += 1;
    try {
      return await this.#connection.run((client) =>
        client.xAdd(this.#key, "*", fields, {
          TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: this.#maxLen },
        }),
      );
    } catch (error) {
      throw this.#failure(describeFailure(this.#connection, error), error);
    } finally {
      this.#waiting -= 1;
    }
  }

  #failure(reason: string, cause?: unknown): Error {
    return new Error(
      `Cannot publish to Redis stream ${JSON.stringify(this.#key)} at ${redactUrl(this.#url)}: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  }
}
