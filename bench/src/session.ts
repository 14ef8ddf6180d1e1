import type { BenchConfig } from "./config.js";
import type { ContenderName, RedisContenderName, ServerContenderName } from "./contenders.js";
import type { LoadPool } from "./load/pool.js";

/** What every scenario runs with. */
export interface BenchSession {
  config: BenchConfig;
  pool: LoadPool;
  /** The contenders to run, in order. */
  contenders: readonly ContenderName[];
  /** The contenders of the scale-out scenario that run on Redis, in order. */
  redisContenders: readonly RedisContenderName[];
  /** Extra node options for the server of one run (profiling flags, when asked for). */
  serverNodeOptions(contender: ServerContenderName, run: string): string[];
  /** Progress, one line at a time. */
  log(message: string): void;
}
