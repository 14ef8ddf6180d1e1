import { describe, expect, it } from "vitest";
import { deliveryProblems } from "../src/check-delivery.js";
import { SMOKE } from "../src/config.js";
import { CONTENDERS, REDIS_CONTENDERS } from "../src/contenders.js";
import { renderChart } from "../src/report/chart.js";
import { renderTables } from "../src/report/tables.js";
import { SCENARIOS } from "../src/results.js";
import { runBench } from "../src/run-bench.js";

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
    for (const scenario of SCENARIOS) {
      const runs = results[scenario] ?? [];
      const expected = scenario === "scale-out" ? ["sse-middleware", ...REDIS_CONTENDERS] : CONTENDERS;
      expect(new Set(runs.map((run) => run.contender)), scenario).toEqual(new Set(expected));
    }
    // Every client of both instances had every event: the Redis contenders
    // really crossed from the publishing instance to the other one.
    for (const run of results["scale-out"] ?? []) {
      expect(run.instances, run.contender).toBe(run.contender === "sse-middleware" ? 1 : SMOKE.scaleOut.instances);
      expect(run.passes[0]!.delivery.exact, run.contender).toBe(SMOKE.scaleOut.clients);
    }
    expect(renderTables(results)).toContain("### 5. Churn");
    expect(renderTables(results)).toContain("### 6. Scale-out");
    expect(renderChart(results)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 90_000);
});
