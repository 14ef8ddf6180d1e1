// Driving the inbox page (public/notifications.html) as a person does: every
// test of that page goes through these, so a change to the page is one
// change here.
//
// What the page promises its tests:
// - `#state` (role status): the connection, `connecting`, `open` or `closed`,
//   as its text and as `data-state`.
// - `#user`: `data-user` appears once the page knows who it is: the name
//   signed in with, or "" for a visitor (who gets news and everyone's).
// - `#notifications li`: one per notification, in the order received;
//   `data-id` is its SSE id, `data-to` is "everyone", "news" or
//   "user:<name>", and the message's text is the item's last child.
// - `#notice` (role alert): why the server refused a request, or that some
//   notifications were too old to replay.
// - The forms, by label: "Your name" and "Sign in" (the page reloads as that
//   user); "Message", "To" (everyone, news or user), "Recipient" (shown for
//   a user) and "Send" (the message field empties once the server took it).
import type { Page } from "playwright-core";
import type { HeadlessChromium } from "./chromium.js";

/** Where a message goes: as the page's `data-to` says it. */
export type Recipient = "everyone" | "news" | `user:${string}`;

/** One notification as the page lists it. */
export interface ShownNotification {
  id: string;
  to: string;
  text: string;
}

/** The messages the page lists, oldest first. */
export function shownNotifications(page: Page): Promise<string[]> {
  return page.locator("#notifications li").evaluateAll((items) => items.map((item) => item.lastChild?.textContent ?? ""));
}

/** The notifications the page lists, oldest first, with their ids and recipients. */
export function shownEntries(page: Page): Promise<ShownNotification[]> {
  return page.locator("#notifications li").evaluateAll((items) =>
    items.map((item) => ({
      id: (item as HTMLElement).dataset.id ?? "",
      to: (item as HTMLElement).dataset.to ?? "",
      text: item.lastChild?.textContent ?? "",
    })),
  );
}

/** Waits until the page lists at least `count` messages. */
export async function waitForNotifications(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll("#notifications li").length >= n, count);
}

/** Waits until the page lists a message with this text. */
export async function waitForNotification(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (expected) => [...document.querySelectorAll("#notifications li")].some((item) => item.lastChild?.textContent === expected),
    text,
  );
}

/** Waits until the page shows the connection state `state` (connecting, open, closed). */
export async function waitForConnection(page: Page, state: string): Promise<void> {
  await page.waitForFunction((expected) => document.getElementById("state")?.textContent === expected, state);
}

/** Waits until the page knows who it is: `name`, or "" for a visitor. */
async function waitForUser(page: Page, name: string): Promise<void> {
  await page.waitForFunction((expected) => document.getElementById("user")?.dataset.user === expected, name);
}

/** Options of {@link openNotificationsPage}. */
export interface OpenOptions {
  /** Sign in as this user (the page reloads as them); otherwise the profile's cookie decides. */
  user?: string;
  /** The tab's width in CSS pixels. */
  width?: number;
}

/**
 * Opens the page at `url` (the site's origin) in a tab of `browser` (a
 * profile: its cookie is who the page is), signs in as `user` if given, and
 * waits until the page knows who it is and its stream is open.
 */
export async function openNotificationsPage(
  browser: Pick<HeadlessChromium, "newPage">,
  url: string,
  { user, width }: OpenOptions = {},
): Promise<Page> {
  const page = await browser.newPage(width === undefined ? {} : { width });
  await page.goto(`${url}/notifications.html`);
  if (user !== undefined) await signIn(page, user);
  else await page.waitForFunction(() => document.getElementById("user")?.dataset.user !== undefined);
  await waitForConnection(page, "open");
  return page;
}

/** Types `name` into the sign-in form and submits it, as a person does; nothing waits. */
export async function submitName(page: Page, name: string): Promise<void> {
  await page.getByLabel("Your name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in as `name` with the page's form and waits until the page has reloaded as that user. */
export async function signIn(page: Page, name: string): Promise<void> {
  // Marks this document, so that only the reloaded one counts.
  await page.evaluate(() => Object.assign(window, { beforeSignIn: true }));
  await submitName(page, name);
  await page.waitForFunction(
    (expected) => !("beforeSignIn" in window) && document.getElementById("user")?.dataset.user === expected,
    name.trim().toLowerCase(),
  );
}

/**
 * Posts `text` with the page's form, to everyone unless `to` says news or a
 * user, and waits until the page has taken it (the field empties).
 */
export async function postFrom(page: Page, text: string, to: Recipient = "everyone"): Promise<void> {
  await page.getByLabel("To", { exact: true }).selectOption(to.startsWith("user:") ? "user" : to);
  if (to.startsWith("user:")) await page.getByLabel("Recipient", { exact: true }).fill(to.slice("user:".length));
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForFunction(() => (document.getElementById("text") as HTMLInputElement).value === "");
}

/** Waits until the page shows a notice (role alert), and returns its text. */
export async function noticeShown(page: Page): Promise<string> {
  const notice = page.getByRole("alert");
  await notice.waitFor({ state: "visible" });
  return notice.innerText();
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
