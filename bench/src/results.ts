import type { SkippedRun } from "./contenders.js";
import type { ChurnRun } from "./scenarios/churn.js";
import type { FanoutRun } from "./scenarios/fanout.js";
import type { ImportCost } from "./scenarios/import-cost.js";
import type { MemoryRun } from "./scenarios/memory.js";
import type { ScaleOutRun } from "./scenarios/scale-out.js";
import type { SlowReaderRun } from "./scenarios/slow-reader.js";
import type { SteadyRun } from "./scenarios/steady.js";
import type { TargetedRun } from "./scenarios/targeted.js";

/** The scenarios, by the names used on the command line and for result files. */
export const SCENARIOS = ["fanout", "steady", "memory", "slow-reader", "churn", "scale-out", "import-cost", "targeted"] as const;

/** One of {@link SCENARIOS}. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** Where and on what the bench ran. */
export interface RunMeta {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  commit: string;
  smoke: boolean;
  durationS: number;
}

/** Everything one bench run measured; a scenario not run is absent. */
export interface BenchResults {
  meta: RunMeta;
  fanout?: (FanoutRun | SkippedRun)[];
  steady?: SteadyRun[];
  memory?: (MemoryRun | SkippedRun)[];
  "slow-reader"?: SlowReaderRun[];
  churn?: ChurnRun[];
  "scale-out"?: ScaleOutRun[];
  "import-cost"?: ImportCost;
  targeted?: TargetedRun[];
}

/** Whether a run was measured (not skipped). */
export function wasMeasured<Run extends object>(run: Run | SkippedRun): run is Run {
  return !("skipped" in run);
}
