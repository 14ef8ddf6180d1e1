import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { benchDir } from "../ipc.js";

/** The workspace root: its tsconfig.json builds every package. */
export const workspaceRoot = join(benchDir, "..");

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));

/** The built entry (package.json `main`) of each package the root tsconfig.json builds, where it is missing. */
function missingEntries(): string[] {
  const { references } = readJson(join(workspaceRoot, "tsconfig.json")) as { references: { path: string }[] };
  return references
    .map(({ path }) => join(workspaceRoot, path, (readJson(join(workspaceRoot, path, "package.json")) as { main: string }).main))
    .filter((entry) => !existsSync(entry));
}

function tsc(args: string[]): void {
  let bin: string;
  try {
    bin = createRequire(join(workspaceRoot, "package.json")).resolve("typescript/bin/tsc");
  } catch {
    throw new Error("import-cost imports the built packages (dist/), and TypeScript is not installed to build them: run `pnpm install`, then `pnpm build`");
  }
  try {
    execFileSync(process.execPath, [bin, ...args, join(workspaceRoot, "tsconfig.json")], { stdio: "pipe", encoding: "utf8" });
  } catch (error) {
    // tsc reports type errors on stdout.
    const output = typeof error === "object" && error !== null && "stdout" in error ? String(error.stdout) : String(error);
    throw new Error(`import-cost imports the built packages (dist/), and building them failed: run \`pnpm build\` and fix what it reports.\n${output}`);
  }
}

/**
 * Builds the workspace packages (`tsc -b`, a no-op when dist/ is current),
 * so that a plain `import` of them loads this commit's code, not a stale or
 * missing build. Throws, saying what to run, when it cannot.
 */
export function buildPackages(): void {
  tsc(["-b"]);
  // tsc -b trusts its tsbuildinfo, which lives beside dist/ and outlives an `rm -rf dist`.
  if (missingEntries().length > 0) tsc(["-b", "--force"]);
  const missing = missingEntries();
  if (missing.length > 0) throw new Error(`import-cost imports the built packages, and ${missing.join(", ")} is missing after a build: run \`pnpm build\``);
}
