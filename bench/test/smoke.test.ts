import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deliveryProblems } from "../src/check-delivery.js";
import { SMOKE } from "../src/config.js";
import { CONTENDERS, REDIS_CONTENDERS, TARGETED_CONTENDERS } from "../src/contenders.js";
import { buildPackages, workspaceRoot } from "../src/import-cost/build-packages.js";
import { listLoadedFiles } from "../src/import-cost/probes.js";
import { renderChart } from "../src/report/chart.js";
import { renderTables } from "../src/report/tables.js";
import { SCENARIOS, type ScenarioName } from "../src/results.js";
import { runBench } from "../src/run-bench.js";
import { IMPORTED_PACKAGES } from "../src/scenarios/import-cost.js";

/** The scenarios that run every contender (import-cost imports packages, not contenders). */
const CONTENDER_SCENARIOS = SCENARIOS.filter((scenario): scenario is Exclude<ScenarioName, "import-cost"> => scenario !== "import-cost");

// The bench at toy size, every contender and every scenario: it must run to
// the end and every client must get every event exactly once. No timing is
// asserted: CI machines are too noisy for that, and the full bench says it.
describe("bench smoke", () => {
  it("runs every scenario against every contender and delivers each event exactly once", async () => {
    const results = await runBench({
      config: SMOKE,
      smoke: true,
      scenarios: SCENARIOS,
      contenders: CONTENDERS,
      redisContenders: REDIS_CONTENDERS,
      log: () => {},
    });
    expect(deliveryProblems(results)).toEqual([]);
    for (const scenario of CONTENDER_SCENARIOS) {
      const runs = results[scenario] ?? [];
      const expected =
        scenario === "scale-out" ? ["sse-middleware", ...REDIS_CONTENDERS] : scenario === "targeted" ? TARGETED_CONTENDERS : CONTENDERS;
      expect(new Set(runs.map((run) => run.contender)), scenario).toEqual(new Set(expected));
    }
    // Every client of both instances had every event: the Redis contenders
    // really crossed from the publishing instance to the other one.
    for (const run of results["scale-out"] ?? []) {
      expect(run.instances, run.contender).toBe(run.contender === "sse-middleware" ? 1 : SMOKE.scaleOut.instances);
      expect(run.passes[0]!.delivery.exact, run.contender).toBe(SMOKE.scaleOut.clients);
    }

    const importCost = results["import-cost"];
    expect(importCost?.packages.map((run) => run.package)).toEqual([...IMPORTED_PACKAGES]);
    for (const run of importCost?.packages ?? []) {
      // Each process imports inside its own lifetime, so its median cannot be the longer one.
      expect(run.processMs, run.package).toBeGreaterThan(run.importMs);
      expect(run.importMs, run.package).toBeGreaterThanOrEqual(run.fastestImportMs);
    }
    // A user's plain import gets the build, not the TypeScript source the rest of the bench runs.
    const ours = importCost?.packages.find((run) => run.package === "sse-middleware");
    expect(ours?.entry).toBe(join("packages", "sse-middleware", "dist", "index.js"));
    const loaded = await listLoadedFiles("sse-middleware");
    expect(ours?.files).toBe(loaded.files.length);
    expect(ours?.bytes).toBe(loaded.files.reduce((sum, file) => sum + statSync(file.path).size, 0));

    expect(renderTables(results)).toContain("### 5. Churn");
    expect(renderTables(results)).toContain("### 6. Scale-out");
    expect(renderTables(results)).toContain("### 7. Import cost");
    expect(renderTables(results)).toContain("### 8. Targeted delivery");
    expect(renderChart(results)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 300_000);

  it("lists every file an import loaded once, with its size on disk, its entry among them", async () => {
    // On its own (vitest -t), this test must not find dist/ missing.
    buildPackages();
    for (const name of ["sse-middleware", "better-sse", "express"]) {
      const { entry, files } = await listLoadedFiles(name);
      const paths = files.map((file) => file.path);
      expect(paths, name).toContain(entry);
      expect(new Set(paths).size, name).toBe(paths.length);
      for (const file of files) expect(file.bytes, file.path).toBe(statSync(file.path).size);
    }
    const ours = await listLoadedFiles("sse-middleware");
    expect(ours.entry).toBe(join(workspaceRoot, "packages", "sse-middleware", "dist", "index.js"));
    // The library has no dependencies: everything it loads is its own build.
    expect(ours.files.every((file) => file.path.startsWith(join(workspaceRoot, "packages", "sse-middleware", "dist")))).toBe(true);
    // A build and seven processes: seconds on a quiet machine, more on a shared one.
  }, 60_000);
});
