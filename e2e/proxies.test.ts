import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { shownMessages, waitForState } from "./demo-page.js";
import { proxiedSiteArgs, proxiesPerTest, proxyNames } from "./proxies.js";
import { saveScreenshot, updateDocs } from "./screenshots.js";
import { liveCount, pageProtocol, shownProtocols, shownStreams, waitForLiveStreams } from "./streams-page.js";
import { useBrowserSuite } from "./suite.js";

const suite = useBrowserSuite(proxiedSiteArgs);
const proxies = proxiesPerTest();

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Opens /streams.html at `url` and checks that all 10 streams go live over h2. */
async function openAllLive(url: string): Promise<Page> {
  const page = await suite.newPage({ width: 960, height: 800 });
  await page.goto(`${url}/streams.html`);
  await waitForLiveStreams(page, 10, 3);
  expect(await liveCount(page)).toBe(10);
  const streams = await shownStreams(page);
  expect(streams.map((stream) => [stream.stream, stream.state])).toEqual(range(0, 9).map((i) => [i, "open"]));
  expect(await pageProtocol(page)).toBe("h2");
  expect(await shownProtocols(page)).toEqual(range(0, 9).map(() => "h2"));
  return page;
}

describe.each(proxyNames)("the demo behind %s, with TLS and HTTP/2, as docs/deploy.md configures it", (name) => {
  it("delivers the 20 ticks one by one over h2, then ends done", async () => {
    const intervalMs = 100;
    const demo = await suite.startDemo({ ticks: 20, intervalMs });
    const proxy = await proxies.start(name, { upstream: `127.0.0.1:${demo.port}` });
    const page = await suite.newPage();
    await page.goto(`${proxy.url}/`);
    await waitForState(page, "done");

    expect(await pageProtocol(page)).toBe("h2");
    const messages = await shownMessages(page);
    expect(messages.map((message) => message.id)).toEqual(range(1, 20));
    // A proxy that buffers the stream hands the page every tick at the end.
    // Unbuffered, each tick shows long before the server sends the one three
    // ticks later (both clocks are this machine's).
    for (let k = 0; k + 3 < messages.length; k += 1) {
      expect(messages[k]!.shownAt, `tick ${k + 1} shown before tick ${k + 4} was sent`).toBeLessThan(
        messages[k + 3]!.time,
      );
    }
    await page.close();
  });

  it("shows 10 of 10 streams live on /streams.html, all over h2", async () => {
    // The README's picture shows the demo's real pace, a tick a second.
    const demo = await suite.startDemo({ intervalMs: updateDocs ? 1000 : 50 });
    const proxy = await proxies.start(name, { upstream: `127.0.0.1:${demo.port}` });
    const page = await openAllLive(proxy.url);
    if (name === "nginx") await saveScreenshot(page, "streams-http2.png");
    await page.close();
  });
});

describe("the README's local try: caddy run --config apps/demo/Caddyfile", () => {
  it("serves the demo at https://localhost over h2, 10 of 10 streams live", async () => {
    const demo = await suite.startDemo({ intervalMs: 50 });
    const proxy = await proxies.startLocalCaddy(demo.port);
    const page = await openAllLive(proxy.url);
    await page.close();
  });
});
