/**
 * One connection to Redis, set up for a channel: commands fail fast while
 * Redis is away (so `publish` rejects instead of waiting), the connection
 * comes back by itself with backoff, and the first connect is bounded.
 */
import { createClient } from "redis";
import { retryDelay } from "./backoff.js";

/** What a connection is for; it shows in Redis's `CLIENT LIST` as `sse-middleware-redis:<role>`. */
export type ConnectionRole = "commands" | "reader";

/**
 * A connection with no traffic for this long is dead even if it never
 * closed (a peer gone without a word): it is cut and made again. The reader
 * hears from Redis every few seconds (its XREAD blocks for 5 s); the command
 * connection, which may idle, pings.
 */
const SILENCE_TIMEOUT_MS = 15_000;
const PING_INTERVAL_MS = 5000;

function createRedisClient(url: string, role: ConnectionRole, connectTimeout: number) {
  let ready = false;
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
      // Before the first connect, failing is the caller's answer; after it,
      // an outage is ridden out.
      reconnectStrategy: (retries: number, cause: Error) => (ready ? retryDelay(retries) : cause),
    },
  });
  client.once("ready", () => (ready = true));
  return client;
}

/** A connected client of the `redis` package, as the channel uses it. */
export type RedisClient = ReturnType<typeof createRedisClient>;

/** A client, and the last error its connection had, to explain a failed command. */
export interface RedisConnection {
  readonly client: RedisClient;
  readonly lastError: Error | undefined;
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
  const client = createRedisClient(url, role, connectTimeout);
  const connection = { client, lastError: undefined as Error | undefined };
  // Without a listener an `error` event would crash the process; failures
  // reach callers through the commands that fail.
  client.on("error", (error: unknown) => {
    connection.lastError = error instanceof Error ? error : new Error(String(error));
  });
  // The client's own connectTimeout covers the TCP connect only; a server
  // that accepts and then says nothing would hang the handshake for ever.
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeout} ms`)), connectTimeout);
  });
  try {
    await Promise.race([client.connect(), silence]);
  } catch (error) {
    client.destroy();
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

/** Closes a connection: politely when it is up (pending replies arrive first), at once when it is not. */
export async function closeConnection(connection: RedisConnection): Promise<void> {
  const { client } = connection;
  if (!client.isOpen) return;
  if (!client.isReady) {
    client.destroy();
    return;
  }
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}
