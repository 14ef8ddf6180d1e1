import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildPackages, workspaceRoot } from "../import-cost/build-packages.js";
import { listLoadedFiles, timeImport, type ImportTiming } from "../import-cost/probes.js";
import { benchDir } from "../ipc.js";
import type { BenchSession } from "../session.js";
import { median } from "./measure-burst.js";

/**
 * The packages imported, by the name a user imports them by: this library,
 * its Redis adapter, the peers, and express, which every one of them needs
 * anyway and so puts the others' figures in scale.
 */
export const IMPORTED_PACKAGES = ["sse-middleware", "sse-middleware-redis", "better-sse", "express-sse", "express"] as const;

/** One of {@link IMPORTED_PACKAGES}. */
export type ImportedPackage = (typeof IMPORTED_PACKAGES)[number];

/** What importing one package costs. */
export interface ImportCostRun {
  package: ImportedPackage;
  version: string;
  /** The file a plain `import` of the package resolves to, relative to the workspace root. */
  entry: string;
  /** `await import()` in a fresh process: the median of all processes. */
  importMs: number;
  /** The same, in the fastest process. */
  fastestImportMs: number;
  /** Spawn to exit of the same processes: the median. */
  processMs: number;
  /** Module files the import loaded, dependencies included, node: built-ins not. */
  files: number;
  /** Their sizes on disk, summed. */
  bytes: number;
}

/** Scenario 7's result. */
export interface ImportCost {
  /** Fresh processes timed per package. */
  processes: number;
  /** Spawn to exit of a node that imports nothing: the part of every `processMs` no package is to blame for. */
  nodeAloneMs: number;
  packages: ImportCostRun[];
}

/** What each round times: node alone, then every package. */
type Subject = ImportedPackage | undefined;

/** `subjects` starting at the `round`-th, so that each takes every place in the order in turn. */
function inTurn<T>(subjects: readonly T[], round: number): T[] {
  return subjects.map((_, i) => subjects[(round + i) % subjects.length]!);
}

function versionOf(name: ImportedPackage): string {
  // The copy in the bench's own node_modules: the one a plain import from here resolves to.
  const manifest = JSON.parse(readFileSync(join(benchDir, "node_modules", name, "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

/**
 * Scenario 7: what `import`ing each package costs a fresh `node` process,
 * in time (`await import()` timed inside processes that import one package
 * each, in turn) and in files and bytes loaded (listed by a process of its
 * own, whose loader hooks would skew a timing).
 */
export async function runImportCost(session: BenchSession): Promise<ImportCost> {
  const { processes } = session.config.importCost;
  buildPackages();
  const subjects: Subject[] = [undefined, ...IMPORTED_PACKAGES];
  const timings = new Map<Subject, ImportTiming[]>(subjects.map((subject) => [subject, []]));
  // One round first, not counted, so every file is in the OS's cache before any is timed.
  for (const subject of subjects) await timeImport(subject);
  for (let round = 0; round < processes; round++) {
    for (const subject of inTurn(subjects, round)) timings.get(subject)!.push(await timeImport(subject));
  }

  const nodeAloneMs = median(timings.get(undefined)!.map((timing) => timing.processMs));
  const packages: ImportCostRun[] = [];
  for (const name of IMPORTED_PACKAGES) {
    const { entry, files } = await listLoadedFiles(name);
    const importMs = timings.get(name)!.map((timing) => timing.importMs);
    const run: ImportCostRun = {
      package: name,
      version: versionOf(name),
      entry: relative(workspaceRoot, entry),
      importMs: median(importMs),
      fastestImportMs: Math.min(...importMs),
      processMs: median(timings.get(name)!.map((timing) => timing.processMs)),
      files: files.length,
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    };
    session.log(`import cost, ${name}: ${run.importMs.toFixed(1)} ms to import (median of ${processes}), ${run.files} files, ${run.bytes} B`);
    packages.push(run);
  }
  return { processes, nodeAloneMs, packages };
}
