import { createChannel } from "sse-middleware";
import { describe, expect, it } from "vitest";
import {
  openNotificationsPage,
  postFrom,
  shownNotifications as shown,
  waitForConnection,
  waitForNotifications as waitForShown,
} from "./notifications-page.js";
import { useBrowserSuite } from "./suite.js";
import { saveScreenshot } from "./screenshots.js";

const suite = useBrowserSuite();
const openPage = (url: string, width?: number) => openNotificationsPage(suite, url, width);

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
    await waitForConnection(page, "connecting");
    notifications.publish({ text: "two", at: Date.now() }, { event: "notification" });
    notifications.publish({ text: "three", at: Date.now() }, { event: "notification" });

    const again = await suite.startDemo({ notifications }, first.port);
    await waitForShown(page, 3);
    await waitForConnection(page, "open");
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
