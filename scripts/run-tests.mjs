// `pnpm test`: installs the system packages the tests drive (chromium,
// redis-server, nginx, haproxy, caddy) when missing, builds the packages, runs every vitest project, and ends with
// one plain line, "Tests: N passed, N failed", that CI reads as the verdict.
// Extra arguments go to vitest (e.g. `pnpm test --project demo`).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

const bin = (name) => join("node_modules", ".bin", name);

// The browser, Redis and proxy tests need a real chromium, redis-server and proxies.
const depsStatus = run(process.execPath, ["scripts/system-deps.mjs"]);
if (depsStatus !== 0) process.exit(depsStatus);

const buildStatus = run(bin("tsc"), ["-b"]);
if (buildStatus !== 0) process.exit(buildStatus);

const reportDir = mkdtempSync(join(tmpdir(), "sse-tests-"));
const reportPath = join(reportDir, "report.json");
const status = run(bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${reportPath}`,
  ...process.argv.slice(2),
]);

try {
  const report = JSON.parse(readFileSync(reportPath, "utf8"));
  const skipped = report.numPendingTests + report.numTodoTests;
  console.log(
    `\nTests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`,
  );
  if (report.numTotalTests === 0) {
    console.error("No test ran.");
    process.exit(1);
  }
} catch (error) {
  console.error(`No test report: ${error instanceof Error ? error.message : error}`);
  process.exit(status || 1);
} finally {
  rmSync(reportDir, { recursive: true, force: true });
}
process.exit(status);
