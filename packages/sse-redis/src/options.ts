/** The options of `createRedisChannel`, and their validation. */
import { assertInteger, describeValue, readOptions } from "sse-middleware/adapter";
import { redactUrl } from "./redis-connection.js";

/** Options of `createRedisChannel`. */
export interface RedisChannelOptions {
  /** The server, as a `redis://` or `rediss://` (TLS) URL, e.g. `redis://localhost:6379`. */
  url: string;
  /** The key of the Redis stream that holds the channel's events; every instance of the channel uses the same one. */
  stream: string;
  /**
   * About how many of the latest events the stream keeps for replay
   * (`XADD … MAXLEN ~ maxLen`: Redis may keep a few more). Default 1000.
   */
  maxLen?: number;
  /** Milliseconds to wait for a connection to Redis before giving up on it. Default 5000. */
  connectTimeout?: number;
  /**
   * Called with what a subscriber's `filter` (or its stream) threw; that
   * subscriber's stream has been ended. Default: `process.emitWarning`.
   */
  onError?: (error: unknown) => void;
}

/** The options with their defaults filled in. */
export type ResolvedRedisChannelOptions = Required<Omit<RedisChannelOptions, "onError">> & Pick<RedisChannelOptions, "onError">;

const WHERE = "createRedisChannel()";
const OPTION_NAMES = ["url", "stream", "maxLen", "connectTimeout", "onError"];
const DEFAULT_MAX_LEN = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
// Node's timers clamp anything longer to 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

function assertUrl(url: unknown): asserts url is string {
  let protocol: string | undefined;
  if (typeof url === "string") {
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    // Never echo a password that came in the URL.
    const shown = typeof url === "string" ? describeValue(redactUrl(url)) : describeValue(url);
    throw new TypeError(`${WHERE} url must be a redis:// or rediss:// URL, got ${shown}`);
  }
}

/**
 * Checks the options once, at creation.
 * @throws TypeError naming the bad value and the rule it broke.
 */
export function resolveRedisChannelOptions(options: unknown): ResolvedRedisChannelOptions {
  const {
    url,
    stream,
    maxLen = DEFAULT_MAX_LEN,
    connectTimeout = DEFAULT_CONNECT_TIMEOUT_MS,
    onError,
  } = readOptions<RedisChannelOptions>(options, WHERE, OPTION_NAMES);
  assertUrl(url);
  if (typeof stream !== "string" || stream === "") {
    throw new TypeError(`${WHERE} stream must be a non-empty string (the stream's key), got ${describeValue(stream)}`);
  }
  // Sent as UTF-8, a lone surrogate becomes U+FFFD: "a\uD800" and "a\uDC00"
  // would be one key, and two channels would share each other's events.
  // (String#isWellFormed is in Node 20; the ES2022 lib does not declare it.)
  if (!(stream as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new TypeError(`${WHERE} stream must be well-formed Unicode (no lone surrogate), got ${describeValue(stream)}`);
  }
  assertInteger(maxLen, WHERE, "maxLen", { min: 1, rule: "a positive integer of events" });
  assertInteger(connectTimeout, WHERE, "connectTimeout", {
    min: 1,
    max: MAX_TIMER_MS,
    rule: `an integer of milliseconds from 1 to ${MAX_TIMER_MS}`,
  });
  return { url, stream, maxLen, connectTimeout, onError };
}
