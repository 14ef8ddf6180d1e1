/**
 * `pnpm bench` (and `pnpm bench:smoke`): runs the scenarios against every
 * contender, prints the tables, writes `results/*.json` and the chart.
 *
 *   --smoke                 every scenario at toy size; checks delivery, measures nothing
 *   --only=fanout,steady    run only these scenarios (fanout, steady, memory, slow-reader, churn, scale-out, import-cost, targeted)
 *   --contenders=a,b        run only these contenders (the Redis ones included; import-cost imports its own list of packages)
 *   --out=DIR               where results go (default: results/, or a temporary folder for --smoke)
 *   --cpu-prof              write a CPU profile of every server to DIR/profiles
 *   --render                run nothing: redraw tables.md and chart.svg from DIR's JSON
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { deliveryProblems } from "./check-delivery.js";
import { FULL, SMOKE } from "./config.js";
import { CONTENDERS, REDIS_CONTENDERS, isContenderName, isServerContenderName, type RedisContenderName } from "./contenders.js";
import { benchDir } from "./ipc.js";
import { readResults, renderReport, writeReport } from "./report/write-report.js";
import { SCENARIOS, type ScenarioName } from "./results.js";
import { runBench } from "./run-bench.js";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    contenders: { type: "string" },
    out: { type: "string" },
    "cpu-prof": { type: "boolean", default: false },
    render: { type: "boolean", default: false },
  },
});

function list<T extends string>(raw: string | undefined, all: readonly T[], is: (name: string) => name is T): T[] {
  if (raw === undefined) return [...all];
  const names = raw.split(",").map((name) => name.trim());
  for (const name of names) if (!is(name)) throw new TypeError(`unknown name ${JSON.stringify(name)}; expected one of ${all.join(", ")}`);
  return names as T[];
}

const isScenario = (name: string): name is ScenarioName => (SCENARIOS as readonly string[]).includes(name);
const smoke = values.smoke === true;
const contenders = list(values.contenders, [...CONTENDERS, ...REDIS_CONTENDERS], isServerContenderName);
const outDir = resolve(values.out ?? (smoke ? mkdtempSync(join(tmpdir(), "sse-bench-smoke-")) : join(benchDir, "results")));
mkdirSync(outDir, { recursive: true });
const cpuProfileDir = values["cpu-prof"] === true ? join(outDir, "profiles") : undefined;

if (values.render === true) {
  console.log(renderReport(readResults(outDir), outDir));
  process.exit(0);
}

const results = await runBench({
  config: smoke ? SMOKE : FULL,
  smoke,
  scenarios: list(values.only, SCENARIOS, isScenario),
  contenders: contenders.filter(isContenderName),
  redisContenders: contenders.filter((name): name is RedisContenderName => !isContenderName(name)),
  cpuProfileDir,
  log: (message) => console.log(message),
});

console.log(`\n${writeReport(results, outDir)}\n\nResults, tables.md and chart.svg are in ${outDir}.`);
const problems = deliveryProblems(results);
for (const problem of problems) console.error(`delivery: ${problem}`);
console.log(problems.length === 0 ? "Every client received every event exactly once." : "");
process.exitCode = problems.length === 0 ? 0 : 1;
