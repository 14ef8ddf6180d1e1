import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's chromium package; the tests never download a browser of their own. */
export const chromiumPath = "/usr/bin/chromium";

/**
 * The network here reaches nothing but package registries, so everything
 * Chromium does in the background on its own (updates, sync, field trials,
 * QUIC probes) is switched off: it would only fail, slowly.
 */
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A headless Chromium with a profile of its own, removed by {@link HeadlessChromium.close}. */
export interface HeadlessChromium {
  /** Opens a tab, `width` CSS pixels wide (default 800). */
  newPage(options?: { width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** Accept any TLS certificate, for servers with one made for the test run. Default false. */
  ignoreCertificateErrors?: boolean;
  /** More flags, after the usual ones. */
  extraArgs?: readonly string[];
}

/** Starts Debian's Chromium headless, with a fresh profile in a temporary directory. */
export async function launchChromium({ ignoreCertificateErrors = false, extraArgs = [] }: LaunchOptions = {}): Promise<HeadlessChromium> {
  const profileDir = await mkdtemp(join(tmpdir(), "sse-e2e-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: chromiumPath,
      args: [...chromiumArgs, ...(ignoreCertificateErrors ? ["--ignore-certificate-errors"] : []), ...extraArgs],
      viewport: { width: 800, height: 600 },
    });
  } catch (error) {
    await rm(profileDir, { recursive: true, force: true });
    throw error;
  }
  return {
    async newPage({ width = 800, height = 600 } = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      return page;
    },
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
