/** The implementations compared, in the order tables and charts show them. */
export const CONTENDERS = ["hand-written", "ceiling", "sse-middleware", "better-sse", "express-sse"] as const;

/** One of {@link CONTENDERS}. */
export type ContenderName = (typeof CONTENDERS)[number];

/**
 * The contenders that share one channel across server instances through a
 * Redis server: this library's adapter on Redis Streams, and what a user
 * would write instead on Redis pub/sub (the recipe better-sse's issue #89
 * points to), by hand and with better-sse's channel.
 */
export const REDIS_CONTENDERS = ["sse-middleware-redis", "hand-written-redis", "better-sse-redis"] as const;

/** One of {@link REDIS_CONTENDERS}. */
export type RedisContenderName = (typeof REDIS_CONTENDERS)[number];

/**
 * The contenders of the targeted scenario, in their per-user form: a
 * hand-written `Map<userId, res>`, this library's channel with topics, and
 * better-sse's channel with a `filter`.
 */
export const TARGETED_CONTENDERS = ["hand-written", "sse-middleware", "better-sse"] as const satisfies readonly ContenderName[];

/** One of {@link TARGETED_CONTENDERS}. */
export type TargetedContenderName = (typeof TARGETED_CONTENDERS)[number];

/** How the targeted scenario's contenders are described. */
export const TARGETED_LABELS: Record<TargetedContenderName, string> = {
  "hand-written": "hand-written Map<userId, res>",
  "sse-middleware": "sse-middleware channel, topics",
  "better-sse": "better-sse 0.16.1 channel, filter",
};

/** Whether a contender has a targeted form. */
export function isTargetedContenderName(name: ContenderName): name is TargetedContenderName {
  return (TARGETED_CONTENDERS as readonly string[]).includes(name);
}

/** Anything a bench server can run. */
export type ServerContenderName = ContenderName | RedisContenderName;

/** How each contender is described in tables and charts. */
export const CONTENDER_LABELS: Record<ServerContenderName, string> = {
  "hand-written": "hand-written loop",
  ceiling: "ceiling (hand-written, one write per tick)",
  "sse-middleware": "sse-middleware channel",
  "better-sse": "better-sse 0.16.1",
  "express-sse": "express-sse 1.0.0",
  "sse-middleware-redis": "sse-middleware-redis (Redis Streams)",
  "hand-written-redis": "hand-written loop on Redis pub/sub",
  "better-sse-redis": "better-sse 0.16.1 channel on Redis pub/sub",
};

/** Whether a string names a contender. */
export function isContenderName(name: string): name is ContenderName {
  return (CONTENDERS as readonly string[]).includes(name);
}

/** Whether a string names anything a bench server can run. */
export function isServerContenderName(name: string): name is ServerContenderName {
  return isContenderName(name) || (REDIS_CONTENDERS as readonly string[]).includes(name);
}

/** A run left out because the contender cannot get there within the bench's bounds. */
export interface SkippedRun {
  contender: ContenderName;
  /** Streams the run would have opened. */
  streams: number;
  skipped: string;
}

/**
 * The most streams each contender is asked to open, where that is fewer than
 * the bench wants, and why.
 */
const STREAM_LIMITS: Partial<Record<ContenderName, { max: number; reason: string }>> = {
  "express-sse": {
    max: 1000,
    reason:
      "express-sse writes to every open stream whenever a client connects (its initial batch, empty here), so opening n streams costs n²/2 writes; see the open times at 1,000",
  },
};

/** Why `contender` sits out a run of `streams` streams, or undefined when it runs. */
export function skipReason(contender: ContenderName, streams: number): string | undefined {
  const limit = STREAM_LIMITS[contender];
  return limit !== undefined && streams > limit.max ? limit.reason : undefined;
}
