/** The options of `createRedisChannel`, and their validation. */

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
}

/** The options with their defaults filled in. */
export type ResolvedRedisChannelOptions = Required<RedisChannelOptions>;

const OPTION_NAMES = ["url", "stream", "maxLen", "connectTimeout"];
const DEFAULT_MAX_LEN = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
// Node's timers clamp anything longer to 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Describes a value for an error message, never echoing a password in a URL. */
function describe(value: unknown): string {
  if (typeof value === "string") {
    const redacted = value.replace(/\/\/[^/@]*@/, "//***@");
    return JSON.stringify(redacted.length > 60 ? `${redacted.slice(0, 60)}…` : redacted);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return String(value);
  return Array.isArray(value) ? "an array" : typeof value === "function" ? "a function" : "an object";
}

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
    throw new TypeError(`createRedisChannel() url must be a redis:// or rediss:// URL, got ${describe(url)}`);
  }
}

/**
 * Checks the options once, at creation.
 * @throws TypeError naming the bad value and the rule it broke.
 */
export function resolveRedisChannelOptions(options: unknown): ResolvedRedisChannelOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`createRedisChannel() options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(
        `createRedisChannel() option ${JSON.stringify(key)} is unknown; expected url, stream, maxLen or connectTimeout`,
      );
    }
  }
  const {
    url,
    stream,
    maxLen = DEFAULT_MAX_LEN,
    connectTimeout = DEFAULT_CONNECT_TIMEOUT_MS,
  } = options as Partial<RedisChannelOptions>;
  assertUrl(url);
  if (typeof stream !== "string" || stream === "") {
    throw new TypeError(`createRedisChannel() stream must be a non-empty string (the stream's key), got ${describe(stream)}`);
  }
  if (!Number.isSafeInteger(maxLen) || maxLen < 1) {
    throw new TypeError(`createRedisChannel() maxLen must be a positive integer of events, got ${describe(maxLen)}`);
  }
  if (!Number.isSafeInteger(connectTimeout) || connectTimeout < 1 || connectTimeout > MAX_TIMER_MS) {
    throw new TypeError(
      `createRedisChannel() connectTimeout must be an integer of milliseconds from 1 to ${MAX_TIMER_MS}, got ${describe(connectTimeout)}`,
    );
  }
  return { url, stream, maxLen, connectTimeout };
}
