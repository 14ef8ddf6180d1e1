import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResults } from "../results.js";
import { renderChart } from "./chart.js";
import { renderTables } from "./tables.js";

/**
 * Writes a run into `dir`: one JSON file per scenario plus meta.json, the
 * tables as tables.md and the chart as chart.svg. Returns the tables.
 */
export function writeReport(results: BenchResults, dir: string): string {
  const { meta, ...scenarios } = results;
  writeFileSync(join(dir, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
  for (const [name, runs] of Object.entries(scenarios)) {
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(runs, null, 2)}\n`);
  }
  const tables = renderTables(results);
  writeFileSync(join(dir, "tables.md"), `${tables}\n`);
  writeFileSync(join(dir, "chart.svg"), renderChart(results));
  return tables;
}
