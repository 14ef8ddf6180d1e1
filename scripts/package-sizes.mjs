// Packs each published package as npm would receive it and prints its packed
// and unpacked size, file count and runtime dependencies: the numbers the
// README quotes. `pnpm sizes`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const packages = ["packages/sse-middleware", "packages/sse-redis"];
const destination = mkdtempSync(join(tmpdir(), "sse-sizes-"));
const pnpm = process.env.npm_execpath;
try {
  console.log("| package | packed | unpacked | files | runtime dependencies |");
  console.log("|---|---|---|---|---|");
  for (const dir of packages) {
    const before = new Set(readdirSync(destination));
    if (pnpm && /pnpm/.test(pnpm)) execFileSync(process.execPath, [pnpm, "pack", "--pack-destination", destination], { cwd: dir });
    else execFileSync("npx", ["-y", "pnpm@10", "pack", "--pack-destination", destination], { cwd: dir });
    const tarball = join(destination, readdirSync(destination).find((name) => !before.has(name)));
    const unpacked = execFileSync("tar", ["-xzOf", tarball]).length;
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean).length;
    const manifest = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
    const deps = Object.entries(manifest.dependencies ?? {}).map(([name, range]) => `${name} ${range}`);
    const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log(`| ${manifest.name} | ${kb(statSync(tarball).size)} | ${kb(unpacked)} | ${files} | ${deps.join(", ") || "none"} |`);
  }
} finally {
  rmSync(destination, { recursive: true, force: true });
}
