import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResults } from "../results.js";

/** Writes one JSON file per scenario (and meta.json) into `dir`; returns the tables as text. */
export function writeReport(results: BenchResults, dir: string): string {
  const { meta, ...scenarios } = results;
  writeFileSync(join(dir, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
  for (const [name, runs] of Object.entries(scenarios)) {
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(runs, null, 2)}\n`);
  }
  return `results in ${dir}`;
}
