import { describe, expect, it } from "vitest";
import { demoPerTest } from "./demo-server.js";
import { openPage, post } from "./notification-pages.js";

const startDemo = demoPerTest();

async function start(): Promise<string> {
  return (await startDemo({ intervalMs: 10 })).url;
}

describe("the demo's notifications", () => {
  it("delivers a posted message to every open page", async () => {
    const url = await start();
    const pages = [openPage(url), openPage(url), openPage(url)];
    await Promise.all(pages.map((page) => page.opened));
    const response = await post(url, "deploy finished");
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: "1" });
    for (const page of pages) {
      await page.waitForCount(1);
      expect(page.texts).toEqual(["deploy finished"]);
      page.close();
    }
  });

  it("lets a page that was offline catch up from history when it reconnects", async () => {
    const url = await start();
    const page = openPage(url);
    await page.opened;
    await post(url, "one");
    await page.waitForCount(1);
    page.close(); // offline
    await post(url, "two");
    await post(url, "three");
    const back = openPage(url, page.lastId());
    await back.waitForCount(2);
    expect(back.texts).toEqual(["two", "three"]);
    await post(url, "four");
    await back.waitForCount(3);
    expect(back.texts).toEqual(["two", "three", "four"]);
    back.close();
  });

  it("accepts a plain form post and sends the browser back to the page", async () => {
    const url = await start();
    const response = await fetch(`${url}/notifications`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "text=hello+form",
      redirect: "manual",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/notifications.html");
  });

  it.each([["an empty message", ""], ["a blank message", "   "], ["a message over 500 characters", "x".repeat(501)]])(
    "rejects %s with 400 and publishes nothing",
    async (_name, text) => {
      const url = await start();
      const response = await post(url, text);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/text must be a non-empty string/);
      expect(await (await post(url, "valid")).json()).toEqual({ id: "1" });
    },
  );

  it("serves the notifications page with its form and live list", async () => {
    const url = await start();
    const html = await (await fetch(`${url}/notifications.html`)).text();
    expect(html).toContain('new EventSource("/notifications/stream")');
    expect(html).toContain('aria-live="polite"');
    expect(html).toContain('<form id="post" method="post" action="/notifications">');
  });
});
