import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { DemoServer } from "sse-middleware-demo/test/demo-server";
import { shownMessages, waitForState } from "./demo-page.js";
import { useBrowserSuite } from "./suite.js";
import { saveScreenshot, updateDocs } from "./screenshots.js";

const suite = useBrowserSuite();

function serve(intervalMs: number, port?: number): Promise<DemoServer> {
  return suite.startDemo({ ticks: 20, intervalMs }, port);
}

const connectionState = (page: Page): Promise<string> => page.getByRole("status").innerText();

/** Keeps, in the page, every connection state it shows, in order, from the first. */
async function recordStates(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const shown: string[] = [];
    Object.assign(window, { shownStates: shown });
    new MutationObserver(() => {
      const text = document.getElementById("state")?.textContent;
      if (text != null && shown[shown.length - 1] !== text) shown.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { shownStates: string[] }).shownStates);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function expectIncreasing(times: number[]): void {
  for (let i = 1; i < times.length; i += 1) expect(times[i]).toBeGreaterThan(times[i - 1]!);
}

describe("the demo page in Chromium", () => {
  it("shows 20 messages, ids 1..20 with increasing times, then stops for good", async () => {
    const intervalMs = 50;
    const server = await serve(intervalMs);
    const page = await suite.newPage();
    await page.goto(server.url);
    await waitForState(page, "done");

    // The blog's page starts over after the 20th. Watch for a few ticks'
    // worth plus the retry: no new request for the stream, no 21st message.
    const laterStreamRequests: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/sse") laterStreamRequests.push(request.url());
    });
    await page.waitForTimeout(10 * intervalMs);

    const messages = await shownMessages(page);
    expect(messages.map((message) => message.id)).toEqual(range(1, 20));
    expectIncreasing(messages.map((message) => message.time));
    expect(laterStreamRequests).toEqual([]);
    expect(await connectionState(page)).toBe("done");
    expect(await page.locator("#count").innerText()).toBe("20");
    await page.close();
  });

  it("picks up after a server restart from the next tick, with no repeat and no gap", async () => {
    const first = await serve(100);
    const page = await suite.newPage();
    const shownStates = await recordStates(page);
    await page.goto(first.url);
    await page.waitForFunction(() => document.querySelectorAll("#messages p").length >= 5);

    await first.stop();
    await waitForState(page, "connecting");
    const seenBeforeRestart = (await shownMessages(page)).length;
    await serve(100, first.port);
    await waitForState(page, "done");

    const messages = await shownMessages(page);
    expect(seenBeforeRestart).toBeLessThan(20);
    expect(messages.map((message) => message.id)).toEqual(range(1, 20));
    expectIncreasing(messages.map((message) => message.time));
    // Open, lost while the server was away, open again, done.
    expect(await shownStates()).toEqual(["connecting", "open", "connecting", "open", "connecting", "done"]);
    await page.close();
  });

  it("shows the connection state: connecting, open while streaming, done at the end", async () => {
    const server = await serve(50);
    const page = await suite.newPage();
    const shownStates = await recordStates(page);
    await page.goto(server.url);
    await waitForState(page, "done");
    // The second "connecting" is the browser coming back after the 20th
    // tick; the server's 204 is what turns it into "done".
    expect(await shownStates()).toEqual(["connecting", "open", "connecting", "done"]);
    await page.close();
  });

  it("marks its parts as landmarks and announces messages in a live region", async () => {
    const server = await serve(20);
    const page = await suite.newPage();
    await page.goto(server.url);
    await waitForState(page, "done");
    await expect(page.getByRole("banner").count()).resolves.toBe(1);
    await expect(page.getByRole("main").count()).resolves.toBe(1);
    await expect(page.getByRole("contentinfo").count()).resolves.toBe(1);
    const log = page.getByRole("log", { name: "Messages" });
    expect(await log.getAttribute("aria-live")).toBe("polite");
    await expect(log.locator("p").count()).resolves.toBe(20);
    await page.close();
  });

  it("fits a phone's width without scrolling sideways", async () => {
    const server = await serve(20);
    const page = await suite.newPage({ width: 375, height: 812 });
    await page.goto(server.url);
    await waitForState(page, "done");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.close();
  });

  it("saves a screenshot of the finished page", async () => {
    // The README's picture is taken at the blog's pace, so its times read a second apart.
    const server = await serve(updateDocs ? 1000 : 50);
    const page = await suite.newPage({ width: 720, height: 600 });
    await page.goto(server.url);
    await waitForState(page, "done");
    const path = await saveScreenshot(page, "demo.png");
    const png = await readFile(path);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    await page.close();
  });
});
