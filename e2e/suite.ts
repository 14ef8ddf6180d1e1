import { afterAll, beforeAll } from "vitest";
import type { DemoOptions } from "sse-middleware-demo/app";
import { launchChromium, type HeadlessChromium } from "./chromium.js";
import { demoPerTest, type DemoServer } from "sse-middleware-demo/test/demo-server";

/** What a browser test file works with; see {@link useBrowserSuite}. */
export interface BrowserSuite {
  /** Opens a tab in the file's Chromium. */
  newPage: HeadlessChromium["newPage"];
  /** Starts the demo app (stopped after the test), on `port` or any free one. */
  startDemo(options: DemoOptions, port?: number): Promise<DemoServer>;
}

/**
 * Registers the hooks every browser test file needs: one Chromium for the
 * file (started with `chromiumArgs` added), closed after it, and every demo
 * server a test started stopped after that test.
 */
export function useBrowserSuite(chromiumArgs: readonly string[] = []): BrowserSuite {
  let browser: HeadlessChromium | undefined;
  const startDemo = demoPerTest();
  beforeAll(async () => {
    browser = await launchChromium({ extraArgs: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    newPage(options) {
      if (browser === undefined) throw new Error("the browser starts in beforeAll");
      return browser.newPage(options);
    },
    startDemo,
  };
}
