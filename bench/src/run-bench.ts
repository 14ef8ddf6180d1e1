import { execFileSync } from "node:child_process";
import os from "node:os";
import { join } from "node:path";
import type { BenchConfig } from "./config.js";
import type { ContenderName, RedisContenderName } from "./contenders.js";
import { LoadPool } from "./load/pool.js";
import type { BenchResults, ScenarioName } from "./results.js";
import { runChurn } from "./scenarios/churn.js";
import { runFanout } from "./scenarios/fanout.js";
import { runImportCost } from "./scenarios/import-cost.js";
import { runMemory } from "./scenarios/memory.js";
import { runScaleOut } from "./scenarios/scale-out.js";
import { runSlowReader } from "./scenarios/slow-reader.js";
import { runSteady } from "./scenarios/steady.js";
import { runTargeted } from "./scenarios/targeted.js";
import type { BenchSession } from "./session.js";

/** What to run. */
export interface BenchOptions {
  config: BenchConfig;
  smoke: boolean;
  scenarios: readonly ScenarioName[];
  contenders: readonly ContenderName[];
  redisContenders: readonly RedisContenderName[];
  /** A folder for server CPU profiles (`node --cpu-prof`), one per run; none when absent. */
  cpuProfileDir?: string;
  log(message: string): void;
}

function currentCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/**
 * Runs the chosen scenarios, each contender in turn against a fresh server
 * process, with one pool of load generator processes for the whole session.
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const started = performance.now();
  const pool = await LoadPool.start(options.config.workers);
  const session: BenchSession = {
    config: options.config,
    pool,
    contenders: options.contenders,
    redisContenders: options.redisContenders,
    serverNodeOptions: (contender, run) =>
      options.cpuProfileDir === undefined
        ? []
        : // A folder per run: the tsx loader's thread writes a profile of its own.
          ["--cpu-prof", `--cpu-prof-dir=${join(options.cpuProfileDir, `${run}-${contender}`)}`],
    log: options.log,
  };
  const results: Omit<BenchResults, "meta"> = {};
  try {
    for (const scenario of options.scenarios) {
      switch (scenario) {
        case "fanout":
          results.fanout = await runFanout(session);
          break;
        case "steady":
          results.steady = await runSteady(session);
          break;
        case "memory":
          results.memory = await runMemory(session);
          break;
        case "slow-reader":
          results["slow-reader"] = await runSlowReader(session);
          break;
        case "churn":
          results.churn = await runChurn(session);
          break;
        case "scale-out":
          results["scale-out"] = await runScaleOut(session);
          break;
        case "import-cost":
          results["import-cost"] = await runImportCost(session);
          break;
        case "targeted":
          results.targeted = await runTargeted(session);
          break;
      }
    }
  } finally {
    await pool.stop();
  }
  const cpus = os.cpus();
  return {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? "unknown",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      commit: currentCommit(),
      smoke: options.smoke,
      durationS: Math.round((performance.now() - started) / 1000),
    },
    ...results,
  };
}
