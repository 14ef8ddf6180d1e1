// Driving the notifications page (public/notifications.html) as a person
// does: every test of that page goes through these, so a change to the page
// is one change here.
import type { Page } from "playwright-core";
import type { BrowserSuite } from "./suite.js";

/** The messages the page lists, oldest first. */
export function shownNotifications(page: Page): Promise<string[]> {
  return page.locator("#notifications li").evaluateAll((items) => items.map((item) => item.lastChild?.textContent ?? ""));
}

/** Waits until the page lists at least `count` messages. */
export async function waitForNotifications(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll("#notifications li").length >= n, count);
}

/** Waits until the page shows the connection state `state` (connecting, open, closed). */
export async function waitForConnection(page: Page, state: string): Promise<void> {
  await page.waitForFunction((expected) => document.getElementById("state")?.textContent === expected, state);
}

/** Opens the page at `url` (the site's origin) and waits until its stream is open. */
export async function openNotificationsPage(suite: BrowserSuite, url: string, width?: number): Promise<Page> {
  const page = await suite.newPage(width === undefined ? {} : { width });
  await page.goto(`${url}/notifications.html`);
  await waitForConnection(page, "open");
  return page;
}

/** Posts `text` with the page's form, and waits until the page has taken it (the field empties). */
export async function postFrom(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForFunction(() => (document.getElementById("text") as HTMLInputElement).value === "");
}

/**
 * Keeps, in the page, every connection state it shows from now on, in order;
 * returns a function that reads them.
 */
export async function recordConnectionStates(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const state = document.getElementById("state")!;
    const shown = [state.textContent ?? ""];
    Object.assign(window, { shownConnectionStates: shown });
    new MutationObserver(() => {
      const text = state.textContent ?? "";
      if (shown[shown.length - 1] !== text) shown.push(text);
    }).observe(state, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { shownConnectionStates: string[] }).shownConnectionStates);
}
