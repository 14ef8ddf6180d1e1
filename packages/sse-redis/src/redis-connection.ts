/**
 * One connection to Redis, set up for a channel: commands fail fast while
 * Redis is away (so `publish` rejects instead of waiting), every command is
 * bounded in time (a Redis that takes writes but never answers is cut), the
 * connection comes back by itself with backoff, and the first connect and
 * the close are bounded.
 */
import { createClient } from "redis";
import { retryDelay } from "sse-middleware/adapter";

/** What a connection is for; it shows in Redis's `CLIENT LIST` as `sse-middleware-redis:<role>`. */
export type ConnectionRole = "commands" | "reader";

/**
 * How long a command may wait for its reply (beyond the time it asks Redis
 * to block). A frozen Redis, or one behind a dead link, keeps the socket
 * open and the kernel takes every write, so nothing else would notice:
 * past this the command rejects and the connection is cut and made again,
 * and a close stops waiting for replies.
 */
export const REPLY_TIMEOUT_MS = 10_000;

/**
 * A connection with no traffic for this long is dead even if it never
 * closed: it is cut and made again. This covers an idle connection (the
 * command connection pings; the reader's XREAD is answered every 5 s) and
 * a handshake that is never answered; commands are covered by
 * {@link REPLY_TIMEOUT_MS}.
 */
const SILENCE_TIMEOUT_MS = 15_000;
const PING_INTERVAL_MS = 5000;

function createRedisClient(url: string, role: ConnectionRole, connectTimeout: number, retryFromStart: boolean) {
  let ready = retryFromStart;
  const client = createClient({
    url,
    RESP: 2,
    name: `sse-middleware-redis:${role}`,
    // Queued commands would wait for Redis to come back; a publish must say
    // at once that it failed.
    disableOfflineQueue: true,
    // A PING would wait behind the reader's blocking XREAD; its replies are
    // traffic enough.
    ...(role === "commands" ? { pingInterval: PING_INTERVAL_MS } : {}),
    socket: {
      connectTimeout,
      socketTimeout: SILENCE_TIMEOUT_MS,
      // Before the first connect, failing is the caller's answer; after it
      // (or for a connection made again after a cut), an outage is ridden out.
      reconnectStrategy: (retries: number, cause: Error) => (ready ? retryDelay(retries) : cause),
    },
  });
  client.once("ready", () => (ready = true));
  return client;
}

/** A connected client of the `redis` package, as the channel uses it. */
export type RedisClient = ReturnType<typeof createRedisClient>;

/** A command waiting for its reply. */
interface Waiting {
  readonly client: RedisClient;
  /** When the reply is overdue, in `performance.now()` time. */
  readonly deadline: number;
  /** Set when the connection was cut under the command: why. */
  cut: Error | undefined;
}

/**
 * A connection to Redis whose commands run through {@link RedisConnection.run}:
 * bounded in time, and, when a reply is overdue, the connection is cut and
 * a new one made, in the background, with backoff.
 */
export class RedisConnection {
  readonly #url: string;
  readonly #role: ConnectionRole;
  readonly #connectTimeout: number;
  #client: RedisClient;
  #lastError: Error | undefined;
  /** Commands sent through run() and not settled yet. */
  readonly #waiting = new Set<Waiting>();
  /** Fires at the earliest deadline of #waiting, to check for an overdue reply; one timer per connection. */
  #watchdog: NodeJS.Timeout | undefined;
  #watchdogAt = Infinity;
  #closed = false;

  constructor(url: string, role: ConnectionRole, connectTimeout: number) {
    this.#url = url;
    this.#role = role;
    this.#connectTimeout = connectTimeout;
    this.#client = this.#createClient(false);
  }

  /** The client to send commands on: after a cut, the new one. */
  get client(): RedisClient {
    return this.#client;
  }

  /** The last error the connection had, to explain a failed command. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  #createClient(retryFromStart: boolean): RedisClient {
    const client = createRedisClient(this.#url, this.#role, this.#connectTimeout, retryFromStart);
    // Without a listener an `error` event would crash the process; failures
    // reach callers through the commands that fail.
    client.on("error", (error: unknown) => {
      if (client === this.#client) this.#lastError = error instanceof Error ? error : new Error(String(error));
    });
    return client;
  }

  /**
   * Runs `command` on the current client. It rejects when Redis has not
   * answered within {@link REPLY_TIMEOUT_MS} plus `blockMs` (the time the
   * command asks Redis to block), and the connection is then cut and made
   * again, which also rejects every other command waiting on it.
   */
  async run<T>(command: (client: RedisClient) => Promise<T>, blockMs = 0): Promise<T> {
    const client = this.#client;
    const waiting: Waiting = { client, deadline: performance.now() + REPLY_TIMEOUT_MS + blockMs, cut: undefined };
    this.#waiting.add(waiting);
    if (waiting.deadline < this.#watchdogAt) this.#arm(waiting.deadline);
    try {
      return await command(client);
    } catch (error) {
      // The client's own error for a cut says only "Disconnects client".
      if (waiting.cut !== undefined) throw new Error(waiting.cut.message, { cause: error });
      throw error;
    } finally {
      this.#waiting.delete(waiting);
    }
  }

  #arm(at: number): void {
    clearTimeout(this.#watchdog);
    this.#watchdogAt = at;
    this.#watchdog = setTimeout(() => this.#check(), Math.max(0, at - performance.now()));
    // It guards commands; it must not keep a process alive by itself.
    this.#watchdog.unref();
  }

  #check(): void {
    this.#watchdog = undefined;
    this.#watchdogAt = Infinity;
    if (this.#closed) return;
    const now = performance.now();
    let next = Infinity;
    for (const waiting of this.#waiting) {
      // Commands of a client already cut are settling; they prove nothing about this one.
      if (waiting.client !== this.#client) continue;
      if (waiting.deadline <= now) {
        this.#cut(new Error(`no reply from Redis within ${REPLY_TIMEOUT_MS} ms, so the connection was cut`));
        return;
      }
      next = Math.min(next, waiting.deadline);
    }
    if (next < Infinity) this.#arm(next);
  }

  /** Gives up on the current client, which rejects what waits on it, and makes a new one. */
  #cut(reason: Error): void {
    const cut = this.#client;
    this.#abandon(cut, reason);
    this.#lastError = reason;
    this.#client = this.#createClient(true);
    // In the background: commands meanwhile reject at once ("offline"); it
    // settles when it connects or when it is destroyed.
    this.#client.connect().catch(() => {});
  }

  #abandon(client: RedisClient, reason: Error): void {
    for (const waiting of this.#waiting) if (waiting.client === client) waiting.cut = reason;
    client.destroy();
  }

  /** Closes at once: what waits for a reply rejects. No new connection is made. */
  destroy(): void {
    this.#closed = true;
    clearTimeout(this.#watchdog);
    this.#client.destroy();
  }

  /**
   * Closes politely when the connection is up (pending replies arrive
   * first, for at most {@link REPLY_TIMEOUT_MS}), at once when it is not.
   * Always resolves.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#watchdog);
    const client = this.#client;
    if (!client.isOpen) return;
    if (!client.isReady) {
      client.destroy();
      return;
    }
    const timer = setTimeout(
      () => this.#abandon(client, new Error(`no reply from Redis within ${REPLY_TIMEOUT_MS} ms of closing`)),
      REPLY_TIMEOUT_MS,
    );
    try {
      await client.close();
    } catch {
      client.destroy();
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Describes a URL for a message without its password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//***@");
}

/**
 * Connects, or rejects with an Error naming the server and the reason once
 * the server refuses, or after `connectTimeout` ms without an answer.
 */
export async function connectToRedis(url: string, role: ConnectionRole, connectTimeout: number): Promise<RedisConnection> {
  const connection = new RedisConnection(url, role, connectTimeout);
  // The client's own connectTimeout covers the TCP connect only; a server
  // that accepts and then says nothing would hang the handshake for ever.
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeout} ms`)), connectTimeout);
  });
  try {
    await Promise.race([connection.client.connect(), silence]);
  } catch (error) {
    connection.destroy();
    const reason = connection.lastError?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`Cannot connect to Redis at ${redactUrl(url)}: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  return connection;
}

/**
 * Explains why a command failed: "the client is offline" alone doesn't say
 * that Redis refused the connection.
 */
export function describeFailure(connection: RedisConnection, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const last = connection.lastError?.message;
  return last !== undefined && last !== message && !connection.client.isReady ? `${message} (${last})` : message;
}
