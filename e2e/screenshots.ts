import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

/** Where the tests save what they saw: gitignored, there for a look after a run. */
const artifactsDir = new URL("../.e2e-artifacts/", import.meta.url);

/** Where the README's pictures live. */
const docsDir = new URL("../docs/", import.meta.url);

/**
 * `E2E_UPDATE_DOCS=1 pnpm e2e` also writes the README's pictures, taken at
 * the demo's real pace; otherwise the tests leave `docs/` alone.
 */
export const updateDocs = process.env.E2E_UPDATE_DOCS === "1";

/**
 * Saves a full-page screenshot as `.e2e-artifacts/<name>`, and as
 * `docs/<name>` too when {@link updateDocs}; returns the artifact's path.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const png = await page.screenshot({ fullPage: true });
  await mkdir(artifactsDir, { recursive: true });
  const path = fileURLToPath(new URL(name, artifactsDir));
  await writeFile(path, png);
  if (updateDocs) {
    await mkdir(docsDir, { recursive: true });
    await writeFile(new URL(name, docsDir), shrink(png));
  }
  return path;
}

/**
 * A page is a few flat colours, so a 256-colour palette looks the same at a
 * fifth of the size and keeps the repository small. Uses Debian's pngquant
 * when it is installed; the picture is kept as it is otherwise.
 */
function shrink(png: Buffer): Buffer {
  const result = spawnSync("pngquant", ["--quality", "70-95", "--speed", "1", "-"], { input: png });
  if (result.error !== undefined || result.status !== 0) {
    console.warn("pngquant is not installed or failed: docs/ gets the screenshot as taken");
    return png;
  }
  return result.stdout;
}
