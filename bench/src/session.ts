import type { BenchConfig } from "./config.js";
import type { ContenderName } from "./contenders.js";
import type { LoadPool } from "./load/pool.js";

/** What every scenario runs with. */
export interface BenchSession {
  config: BenchConfig;
  pool: LoadPool;
  /** The contenders to run, in order. */
  contenders: readonly ContenderName[];
  /** Extra node options for the server of one run (profiling flags, when asked for). */
  serverNodeOptions(contender: ContenderName, run: string): string[];
  /** Progress, one line at a time. */
  log(message: string): void;
}
