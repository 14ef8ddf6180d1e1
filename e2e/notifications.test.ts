import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNotificationChannel } from "sse-middleware-demo/notifications";
import { createRedisNotificationChannel, type RedisNotificationChannel } from "sse-middleware-demo/redis-notifications";
import { startRedisServer, type RedisServer } from "sse-testkit/redis-server";
import type { DemoServer } from "sse-middleware-demo/test/demo-server";
import { launchChromium, type HeadlessChromium } from "./chromium.js";
import {
  noticeShown,
  openNotificationsPage,
  postFrom,
  shownEntries,
  shownNotifications,
  submitName,
  waitForConnection,
  waitForNotification,
  waitForNotifications,
  type Recipient,
} from "./notifications-page.js";
import { saveScreenshot } from "./screenshots.js";
import { useBrowserSuite } from "./suite.js";

const suite = useBrowserSuite();

// A second user needs a browser profile of its own: the name is a cookie,
// shared by every tab of a profile (as a person would use a second profile
// or a private window).
let otherProfile: HeadlessChromium | undefined;
beforeAll(async () => {
  otherProfile = await launchChromium();
});
afterAll(async () => {
  await otherProfile?.close();
});

/**
 * Alice (in the suite's profile) and Bob (in another) each on their own
 * server of one channel: each sees only their own notes plus news and
 * everyone's, and Alice, offline while notes are posted, shows each missed
 * one of hers once, in order, when she is back.
 */
async function twoUsers(
  aliceServer: DemoServer,
  bobServer: DemoServer,
  { screenshot }: { screenshot?: string } = {},
): Promise<void> {
  const alice = await openNotificationsPage(suite, aliceServer.url, { user: "alice" });
  const bob = await openNotificationsPage(otherProfile!, bobServer.url, { user: "bob" });

  const sent: [Page, string, Recipient][] = [
    [alice, "hello everyone", "everyone"],
    [bob, "release 1.2 is out", "news"],
    [alice, "lunch at noon?", "user:bob"],
    [bob, "yes, see you there", "user:alice"],
    [bob, "a note for carol", "user:carol"],
    [alice, "that's all", "everyone"],
  ];
  for (const [page, text, to] of sent) await postFrom(page, text, to);
  await Promise.all([waitForNotification(alice, "that's all"), waitForNotification(bob, "that's all")]);
  expect(await shownEntries(alice)).toEqual([
    { id: expect.any(String), to: "everyone", text: "hello everyone" },
    { id: expect.any(String), to: "news", text: "release 1.2 is out" },
    { id: expect.any(String), to: "user:alice", text: "yes, see you there" },
    { id: expect.any(String), to: "everyone", text: "that's all" },
  ]);
  expect(await shownNotifications(bob)).toEqual(["hello everyone", "release 1.2 is out", "lunch at noon?", "that's all"]);

  // Alice's network goes: her stream is cut, and her browser cannot
  // reconnect while Bob writes to her, to himself and to everyone.
  await alice.context().setOffline(true);
  try {
    aliceServer.dropConnections();
    await waitForConnection(alice, "connecting");
    const whileAway: [string, Recipient][] = [
      ["are you there?", "user:alice"],
      ["release 1.3 is out", "news"],
      ["note to self", "user:bob"],
      ["standup in 5", "everyone"],
      ["call me back", "user:alice"],
    ];
    for (const [text, to] of whileAway) await postFrom(bob, text, to);
    await waitForNotification(bob, "standup in 5");
    // Still offline: nothing came through.
    expect(await shownNotifications(alice)).toHaveLength(4);
    expect(await alice.locator("#state").textContent()).toBe("connecting");
  } finally {
    await alice.context().setOffline(false);
  }
  await waitForNotification(alice, "call me back");
  await waitForConnection(alice, "open");
  // One more, live, so that anything repeated would be on the page by then.
  await postFrom(bob, "welcome back", "user:alice");
  await waitForNotification(alice, "welcome back");

  const shown = await shownEntries(alice);
  expect(shown.map(({ to, text }) => ({ to, text }))).toEqual([
    { to: "everyone", text: "hello everyone" },
    { to: "news", text: "release 1.2 is out" },
    { to: "user:alice", text: "yes, see you there" },
    { to: "everyone", text: "that's all" },
    { to: "user:alice", text: "are you there?" },
    { to: "news", text: "release 1.3 is out" },
    { to: "everyone", text: "standup in 5" },
    { to: "user:alice", text: "call me back" },
    { to: "user:alice", text: "welcome back" },
  ]);
  expect(new Set(shown.map(({ id }) => id)).size).toBe(shown.length);
  expect(await shownNotifications(bob)).toEqual([
    "hello everyone",
    "release 1.2 is out",
    "lunch at noon?",
    "that's all",
    "release 1.3 is out",
    "note to self",
    "standup in 5",
  ]);
  if (screenshot !== undefined) await saveScreenshot(alice, screenshot);
  await Promise.all([alice.close(), bob.close()]);
}

describe("the inbox page in Chromium, in memory", () => {
  it("shows a message posted from one page to everyone on every open page, once", async () => {
    const server = await suite.startDemo({});
    const pages = await Promise.all([1, 2, 3].map(() => openNotificationsPage(suite, server.url)));
    await postFrom(pages[0]!, "build 42 is green");
    await postFrom(pages[1]!, "build 43 is green");
    for (const page of pages) {
      await waitForNotifications(page, 2);
      expect(await shownNotifications(page)).toEqual(["build 42 is green", "build 43 is green"]);
    }
    await Promise.all(pages.map((page) => page.close()));
  });

  it("gives two users in two profiles their own notes plus news and everyone's, and catches one up after offline", async () => {
    // Two servers of one channel, so that Alice's network can drop alone.
    const notifications = createNotificationChannel();
    const [aliceServer, bobServer] = [await suite.startDemo({ notifications }), await suite.startDemo({ notifications })];
    await twoUsers(aliceServer, bobServer, { screenshot: "notifications.png" });
  });

  it("catches up after the server restarts on what was posted meanwhile, without repeats", async () => {
    // One channel outlives the server, as it would on Redis or in a process
    // that keeps running while the connection drops.
    const notifications = createNotificationChannel();
    const first = await suite.startDemo({ notifications });
    const page = await openNotificationsPage(suite, first.url, { user: "dana" });
    await postFrom(page, "one", "user:dana");
    await waitForNotifications(page, 1);

    await first.stop(); // the page loses its connection
    await waitForConnection(page, "connecting");
    for (const [text, to] of [["two", "user:dana"], ["not for dana", "user:erin"], ["three", "news"]] as const) {
      notifications.publish({ text, at: Date.now(), to, from: null }, { event: "notification", topics: [to] });
    }

    await suite.startDemo({ notifications }, first.port);
    await waitForNotifications(page, 3);
    await waitForConnection(page, "open");
    expect(await shownNotifications(page)).toEqual(["one", "two", "three"]);
    await page.close();
  });

  it("shows the server's reason when a name is refused, and stays as it was", async () => {
    const server = await suite.startDemo({});
    const page = await openNotificationsPage(suite, server.url, { user: "frank" });
    await submitName(page, "frank smith");
    expect(await noticeShown(page)).toBe('a user name must be 1 to 32 letters, digits, "-" or "_"');
    expect(await page.locator("#user").getAttribute("data-user")).toBe("frank");
    await page.close();
  });

  it("is readable at a phone's width, with landmarks and a live list", async () => {
    const server = await suite.startDemo({});
    const page = await openNotificationsPage(suite, server.url, { width: 375 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expect(page.getByRole("main").count()).resolves.toBe(1);
    await expect(page.getByRole("banner").count()).resolves.toBe(1);
    expect(await page.locator("#notifications").getAttribute("aria-live")).toBe("polite");
    await page.close();
  });
});

describe("the inbox page in Chromium, on Redis across two instances", () => {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it("gives two users on two instances their own notes plus news and everyone's, and catches one up after offline", async () => {
    const stream = `sse-demo-e2e:${Date.now()}`;
    const channels: RedisNotificationChannel[] = [];
    try {
      for (let i = 0; i < 2; i += 1) channels.push(await createRedisNotificationChannel(redis!.url, stream));
      const [a, b] = await Promise.all(channels.map((notifications) => suite.startDemo({ notifications })));
      await twoUsers(a!, b!);
    } finally {
      await Promise.all(channels.map((channel) => channel.close()));
    }
  });
});
