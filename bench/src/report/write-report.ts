import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SCENARIOS, type BenchResults } from "../results.js";
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
  return renderReport(results, dir);
}

/** Writes tables.md and chart.svg for `results` into `dir`; returns the tables. */
export function renderReport(results: BenchResults, dir: string): string {
  const tables = renderTables(results);
  writeFileSync(join(dir, "tables.md"), `${tables}\n`);
  writeFileSync(join(dir, "chart.svg"), renderChart(results));
  return tables;
}

/** Reads back what {@link writeReport} wrote. */
export function readResults(dir: string): BenchResults {
  const read = (name: string): unknown => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
  const results = { meta: read("meta") } as BenchResults;
  for (const scenario of SCENARIOS) {
    if (existsSync(join(dir, `${scenario}.json`))) Object.assign(results, { [scenario]: read(scenario) });
  }
  return results;
}
