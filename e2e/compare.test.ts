import { readFile } from "node:fs/promises";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { DemoServer } from "sse-middleware-demo/test/demo-server";
import { useBrowserSuite } from "./suite.js";
import { saveScreenshot, updateDocs } from "./screenshots.js";

const suite = useBrowserSuite();

const ticks = 10;

function serve(intervalMs: number, tickCount = ticks): Promise<DemoServer> {
  return suite.startDemo({ ticks: tickCount, intervalMs }, 0);
}

const columnNames = ["Polling", "Long polling", "SSE"] as const;
type ColumnName = (typeof columnNames)[number];

/** What one column shows a person once a run is over. */
interface ColumnFigures {
  state: string;
  requests: number;
  bytes: number;
  ticksShown: string;
  meanDelay: string;
  maxDelay: string;
  /** The tick numbers in the column's list, top to bottom. */
  ids: number[];
}

const column = (page: Page, name: ColumnName): Locator => page.getByRole("region", { name, exact: true });

/** The figure under the label `label` in a column, as shown. */
function figure(section: Locator, label: string): Promise<string> {
  return section.locator("dl > div", { has: section.page().locator("dt", { hasText: label }) }).locator("dd").innerText();
}

const count = (text: string): number => Number(text.replace(/,/g, ""));

async function readColumn(page: Page, name: ColumnName): Promise<ColumnFigures> {
  const section = column(page, name);
  const items = await section.getByRole("listitem").allInnerTexts();
  return {
    state: await figure(section, "State"),
    requests: count(await figure(section, "Requests")),
    bytes: count(await figure(section, "Bytes")),
    ticksShown: await figure(section, "Ticks shown"),
    meanDelay: await figure(section, "Mean delay"),
    maxDelay: await figure(section, "Max delay"),
    ids: items.map((item) => Number(/^#(\d+) · \d+ ms$/.exec(item)?.[1])),
  };
}

/**
 * Waits until the page says the run is done, and until every column's bytes
 * are in: the browser reports a response's size only once it has ended.
 */
async function waitForRun(page: Page): Promise<void> {
  await page.getByRole("status").filter({ hasText: /^Done/ }).waitFor();
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-stat="bytes"]')].every((bytes) => bytes.textContent !== "0"),
  );
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe("compare.html in Chromium: polling, long polling and SSE over the same ticks", () => {
  it("shows every tick in all three columns, once each and in order", async () => {
    const server = await serve(150);
    const page = await suite.newPage({ width: 1024, height: 800 });
    await page.goto(`${server.url}/compare.html`);
    await waitForRun(page);
    expect(await page.getByRole("status").innerText()).toBe(`Done: each client showed all ${ticks} ticks.`);
    for (const name of columnNames) {
      const shown = await readColumn(page, name);
      expect(shown.state, name).toBe("done");
      expect(shown.ticksShown, name).toBe(`${ticks} of ${ticks}`);
      expect(shown.ids, name).toEqual(range(1, ticks));
      expect(shown.meanDelay, name).toMatch(/^\d+ ms$/);
      expect(shown.maxDelay, name).toMatch(/^\d+ ms$/);
      expect(shown.bytes, name).toBeGreaterThan(0);
    }
    await page.close();
  });

  it("counts one request for SSE, and many for polling and long polling", async () => {
    const server = await serve(150);
    const page = await suite.newPage({ width: 1024, height: 800 });
    await page.goto(`${server.url}/compare.html`);
    await waitForRun(page);
    const polling = await readColumn(page, "Polling");
    const longPolling = await readColumn(page, "Long polling");
    const streamed = await readColumn(page, "SSE");
    expect(streamed.requests).toBe(1);
    // About two a tick for polling and one for long polling on a quiet
    // machine; a slow answer on a loaded one brings several ticks at once,
    // so only "many" is certain.
    expect(polling.requests).toBeGreaterThan(ticks / 2);
    expect(longPolling.requests).toBeGreaterThan(ticks / 2);
    // Every response costs its headers; SSE pays them once.
    expect(streamed.bytes).toBeLessThan(polling.bytes);
    expect(streamed.bytes).toBeLessThan(longPolling.bytes);
    await page.close();
  });

  it("starts a fresh run of the same ticks on Run again", async () => {
    const server = await serve(50, 5);
    const page = await suite.newPage({ width: 1024, height: 800 });
    await page.goto(`${server.url}/compare.html`);
    await waitForRun(page);
    const runAgain = page.getByRole("button", { name: "Run again" });
    await runAgain.click();
    await page.getByRole("status").filter({ hasText: /^Running/ }).waitFor();
    await waitForRun(page);
    for (const name of columnNames) {
      const shown = await readColumn(page, name);
      expect(shown.ids, name).toEqual(range(1, 5));
    }
    expect((await readColumn(page, "SSE")).requests).toBe(1);
    expect(await runAgain.isEnabled()).toBe(true);
    await page.close();
  });

  it("marks its parts as landmarks and fits a phone's width without scrolling sideways", async () => {
    const server = await serve(20, 5);
    const page = await suite.newPage({ width: 375, height: 812 });
    await page.goto(`${server.url}/compare.html`);
    await waitForRun(page);
    await expect(page.getByRole("banner").count()).resolves.toBe(1);
    await expect(page.getByRole("main").count()).resolves.toBe(1);
    await expect(page.getByRole("contentinfo").count()).resolves.toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.close();
  });

  it("saves a screenshot of a finished run", async () => {
    // The README's picture runs at the demo's real pace: 20 ticks, a second apart.
    const server = updateDocs ? await serve(1000, 20) : await serve(50);
    const page = await suite.newPage({ width: 960, height: 600 });
    await page.goto(`${server.url}/compare.html`);
    await waitForRun(page);
    const path = await saveScreenshot(page, "compare.png");
    const png = await readFile(path);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    await page.close();
  });
});
