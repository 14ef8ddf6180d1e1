import { TARGETED_CONTENDERS, type ServerContenderName } from "../contenders.js";
import type { Contender, RedisTarget } from "./contender.js";

/**
 * Imports only the named contender's module, so a server process loads one
 * library and its memory figures carry no other's code. The Redis
 * contenders need `redis`; the others are given none. `targeted` asks for
 * the contender's per-user form (see {@link TARGETED_CONTENDERS}).
 */
export async function loadContender(name: ServerContenderName, redis: RedisTarget | undefined, targeted = false): Promise<Contender> {
  if (targeted) {
    switch (name) {
      case "hand-written":
        return (await import("./contenders/hand-written.js")).createHandWrittenUsers();
      case "sse-middleware":
        return (await import("./contenders/sse-middleware.js")).createSseMiddlewareTopics();
      case "better-sse":
        return (await import("./contenders/better-sse.js")).createBetterSseFilter();
      default:
        throw new Error(`${name} has no targeted form; those that have: ${TARGETED_CONTENDERS.join(", ")}`);
    }
  }
  const target = (): RedisTarget => {
    if (redis === undefined) throw new Error(`${name} needs --redis-url and --redis-key`);
    return redis;
  };
  switch (name) {
    case "hand-written":
      return (await import("./contenders/hand-written.js")).createHandWritten();
    case "ceiling":
      return (await import("./contenders/ceiling.js")).createCeiling();
    case "sse-middleware":
      return (await import("./contenders/sse-middleware.js")).createSseMiddleware();
    case "better-sse":
      return (await import("./contenders/better-sse.js")).createBetterSse();
    case "express-sse":
      return (await import("./contenders/express-sse.js")).createExpressSse();
    case "sse-middleware-redis":
      return (await import("./contenders/sse-middleware-redis.js")).createSseMiddlewareRedis(target());
    case "hand-written-redis":
      return (await import("./contenders/hand-written-redis.js")).createHandWrittenRedis(target());
    case "better-sse-redis":
      return (await import("./contenders/better-sse-redis.js")).createBetterSseRedis(target());
  }
}
