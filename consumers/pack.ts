import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Runs pnpm: the one running this test when there is one (`pnpm test` sets
 * npm_execpath), else `npx -y pnpm@10`, as the README's commands do.
 */
export function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /pnpm/.test(execPath)) {
    return execFileSync(process.execPath, [execPath, ...args], { cwd, encoding: "utf8" });
  }
  return execFileSync("npx", ["-y", "pnpm@10", ...args], { cwd, encoding: "utf8" });
}

/**
 * Packs a workspace package the way it is published (`pnpm pack` applies
 * publishConfig and turns workspace: ranges into versions) and returns the
 * tarball's path.
 */
export function packPackage(packageDir: string): string {
  const destination = mkdtempSync(join(tmpdir(), "sse-pack-"));
  pnpm(["pack", "--pack-destination", destination], join(root, packageDir));
  const [tarball] = readdirSync(destination).filter((name) => name.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`pnpm pack wrote no tarball for ${packageDir}`);
  return join(destination, tarball);
}
