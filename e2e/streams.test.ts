import { describe, expect, it } from "vitest";
import { saveScreenshot, updateDocs } from "./screenshots.js";
import { liveCount, pageProtocol, shownProtocols, shownStreams, waitForLiveStreams } from "./streams-page.js";
import { useBrowserSuite } from "./suite.js";

const suite = useBrowserSuite();

describe("streams.html straight to Node, over HTTP/1.1", () => {
  it("gets exactly 6 of 10 streams live: the other 4 wait for a connection that never frees up", async () => {
    // The README's picture shows the demo's real pace, a tick a second.
    const demo = await suite.startDemo({ intervalMs: updateDocs ? 1000 : 50 });
    const page = await suite.newPage({ width: 960, height: 800 });
    await page.goto(`${demo.url}/streams.html`);
    // Twenty ticks on each of six streams: time enough for any other to get through.
    await waitForLiveStreams(page, 6, 20);

    expect(await liveCount(page)).toBe(6);
    const streams = await shownStreams(page);
    expect(streams.map((stream) => stream.stream)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const live = streams.filter((stream) => stream.state === "open");
    const waiting = streams.filter((stream) => stream.state === "connecting");
    expect(live).toHaveLength(6);
    expect(live.every((stream) => stream.events >= 20)).toBe(true);
    expect(waiting.map((stream) => stream.events)).toEqual([0, 0, 0, 0]);
    expect(await pageProtocol(page)).toBe("http/1.1");
    expect(await shownProtocols(page)).toEqual([...Array(6).fill("http/1.1"), ...Array(4).fill("–")]);
    await saveScreenshot(page, "streams-http1.png");
    await page.close();
  });

  it("opens as many streams as ?n= says, each live while there are connections for it", async () => {
    const demo = await suite.startDemo({ intervalMs: 50 });
    const page = await suite.newPage();
    await page.goto(`${demo.url}/streams.html?n=3`);
    await waitForLiveStreams(page, 3, 2);
    expect(await liveCount(page)).toBe(3);
    expect((await shownStreams(page)).map((stream) => stream.state)).toEqual(["open", "open", "open"]);
    await page.close();
  });

  it("explains the ways out, links the inbox, and fits a phone's width with landmarks", async () => {
    const demo = await suite.startDemo({ intervalMs: 50 });
    const page = await suite.newPage({ width: 375, height: 812 });
    await page.goto(`${demo.url}/streams.html?n=2`);
    await waitForLiveStreams(page, 2, 1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expect(page.getByRole("banner").count()).resolves.toBe(1);
    await expect(page.getByRole("main").count()).resolves.toBe(1);
    await expect(page.getByRole("contentinfo").count()).resolves.toBe(1);
    await expect(page.getByRole("heading", { name: "Two ways out" }).count()).resolves.toBe(1);
    const inbox = page.getByRole("link", { name: "the inbox", exact: true });
    expect(await inbox.getAttribute("href")).toBe("/notifications.html");
    expect(await page.getByRole("status").innerText()).toBe("2 of 2 streams live, over HTTP/1.1");
    await page.close();
  });
});
