import type { Page } from "playwright-core";
import { createChannel } from "sse-middleware";
import { describe, expect, it } from "vitest";
import { useBrowserSuite } from "./suite.js";
import { saveScreenshot } from "./screenshots.js";

const suite = useBrowserSuite();

const shown = (page: Page): Promise<string[]> =>
  page.locator("#notifications li").evaluateAll((items) => items.map((item) => item.lastChild?.textContent ?? ""));

async function waitForShown(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll("#notifications li").length >= n, count);
}

async function openPage(url: string, width?: number): Promise<Page> {
  const page = await suite.newPage(width === undefined ? {} : { width });
  await page.goto(`${url}/notifications.html`);
  await page.waitForFunction(() => document.getElementById("state")?.textContent === "open");
  return page;
}

async function postFrom(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForFunction(() => (document.getElementById("text") as HTMLInputElement).value === "");
}

describe("the notifications page in Chromium", () => {
  it("shows a message posted from one page on every open page", async () => {
    const server = await suite.startDemo({});
    const pages = await Promise.all([openPage(server.url), openPage(server.url), openPage(server.url)]);
    await postFrom(pages[0]!, "build 42 is green");
    for (const page of pages) {
      await waitForShown(page, 1);
      expect(await shown(page)).toEqual(["build 42 is green"]);
    }
    await saveScreenshot(pages[1]!, "notifications.png");
    await Promise.all(pages.map((page) => page.close()));
  });

  it("catches up after being offline on what was posted meanwhile, without repeats", async () => {
    // One channel outlives the server, as it would on Redis or in a process
    // that keeps running while the connection drops.
    const notifications = createChannel({ history: 100 });
    const first = await suite.startDemo({ notifications });
    const page = await openPage(first.url);
    await postFrom(page, "one");
    await waitForShown(page, 1);

    await first.stop(); // the page loses its connection
    await page.waitForFunction(() => document.getElementById("state")?.textContent === "connecting");
    notifications.publish({ text: "two", at: Date.now() }, { event: "notification" });
    notifications.publish({ text: "three", at: Date.now() }, { event: "notification" });

    const again = await suite.startDemo({ notifications }, first.port);
    await waitForShown(page, 3);
    await page.waitForFunction(() => document.getElementById("state")?.textContent === "open");
    expect(await shown(page)).toEqual(["one", "two", "three"]);
    await page.close();
  });

  it("is readable at a phone's width, with landmarks and a live list", async () => {
    const server = await suite.startDemo({});
    const page = await openPage(server.url, 375);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expect(page.getByRole("main").count()).resolves.toBe(1);
    await expect(page.getByRole("banner").count()).resolves.toBe(1);
    expect(await page.locator("#notifications").getAttribute("aria-live")).toBe("polite");
    await page.close();
  });
});
