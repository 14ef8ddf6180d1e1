import { describe, expect, it } from "vitest";
import { demoPerTest } from "./demo-server.js";
import { catchesUpOnItsOwnAfterReconnecting, routesEachNoteToItsUser, startsFreshWithoutLastEventId } from "./inbox-scenarios.js";
import { cookieFor, openPage, post, postForm, signIn } from "./notification-pages.js";

const startDemo = demoPerTest();

async function start(): Promise<string> {
  return (await startDemo({ intervalMs: 10 })).url;
}

const NAME_ERROR = 'a user name must be 1 to 32 letters, digits, "-" or "_"';

describe("the demo's inbox, in memory", () => {
  it("delivers a message to everyone to every open page, signed in or not", async () => {
    const url = await start();
    const pages = [openPage(url), openPage(url, { cookie: await cookieFor(url, "alice") }), openPage(url)];
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

  it("gives each user news, everyone's messages and their own notes, never another's", async () => {
    const url = await start();
    await routesEachNoteToItsUser([url, url]);
  });

  it("replays to a page that reconnects with Last-Event-ID exactly the missed events meant for it", async () => {
    const url = await start();
    await catchesUpOnItsOwnAfterReconnecting([url, url]);
  });

  it("starts a page that comes without Last-Event-ID from now, not from notes sent before", async () => {
    const url = await start();
    await startsFreshWithoutLastEventId([url, url]);
  });

  it("signs in with a form post: a cookie for the name, lower-cased, and back to the page", async () => {
    const url = await start();
    const response = await postForm(url, "/notifications/user", "user=+Alice_2-b+");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/notifications.html");
    expect(response.headers.get("set-cookie")).toBe("inbox-user=alice_2-b; Path=/; HttpOnly; SameSite=Lax");
    const who = await fetch(`${url}/notifications/user`, { headers: { Cookie: "inbox-user=alice_2-b" } });
    expect(await who.json()).toEqual({ user: "alice_2-b" });
    expect(await (await fetch(`${url}/notifications/user`)).json()).toEqual({ user: null });
  });

  it.each([
    ["an empty name", ""],
    ["a blank name", "   "],
    ["a name over 32 characters", "a".repeat(33)],
    ["a name with a space", "bob smith"],
    ["a name with markup", "<b>bob</b>"],
    ["a name that is a topic", "user:bob"],
    ["a name with a semicolon", "bob;admin"],
    ["a name outside ASCII", "zoë"],
    ["a name that is not a string", 42],
  ])("refuses %s with 400 and a clear message, and sets no cookie", async (_name, user) => {
    const url = await start();
    const response = await fetch(`${url}/notifications/user`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await response.json()).toEqual({ error: NAME_ERROR });
  });

  it("accepts a name of exactly 32 characters", async () => {
    const url = await start();
    const response = await signIn(url, "a".repeat(32));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: "a".repeat(32) });
  });

  it("answers a cookie that holds no valid name with 400, not a stream, on every route", async () => {
    const url = await start();
    const cookie = "inbox-user=bob%20smith";
    const stream = await fetch(`${url}/notifications/stream`, { headers: { Cookie: cookie } });
    expect(stream.status).toBe(400);
    expect(stream.headers.get("content-type")).toMatch(/^application\/json/);
    const { error } = (await stream.json()) as { error: string };
    expect(error).toBe(`the inbox-user cookie holds no valid name (${NAME_ERROR}): pick a name again`);
    expect(await (await fetch(`${url}/notifications/user`, { headers: { Cookie: cookie } })).json()).toEqual({ error });
    const posting = await post(url, "hello", { cookie });
    expect(posting.status).toBe(400);
    expect(await (await post(url, "valid")).json()).toEqual({ id: "1" });
  });

  it.each([
    ["an unknown recipient", { to: "admins" }, 'to must be "everyone", "news" or "user"'],
    ["a topic named directly", { to: "user:bob" }, 'to must be "everyone", "news" or "user"'],
    ["a user with no name", { to: "user" }, `to a user: ${NAME_ERROR}`],
    ["a user with a bad name", { to: "user", user: "bob smith" }, `to a user: ${NAME_ERROR}`],
  ])("refuses a post to %s with 400 and publishes nothing", async (_name, options, error) => {
    const url = await start();
    const response = await post(url, "hello", options);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error });
    expect(await (await post(url, "valid")).json()).toEqual({ id: "1" });
  });

  it("accepts a plain form post to a user and sends the browser back to the page", async () => {
    const url = await start();
    const page = openPage(url, { cookie: await cookieFor(url, "alice") });
    await page.opened;
    const response = await postForm(url, "/notifications", "text=hello+form&to=user&user=alice");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/notifications.html");
    await page.waitForCount(1);
    expect(page.received).toEqual([{ id: "1", to: "user:alice", text: "hello form" }]);
    page.close();
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

  it("serves the inbox page: the sign-in form, the form to send, one stream and a live list", async () => {
    const url = await start();
    const html = await (await fetch(`${url}/notifications.html`)).text();
    expect(html.match(/new EventSource\(/g)).toEqual(["new EventSource("]);
    expect(html).toContain('new EventSource("/notifications/stream")');
    expect(html).toContain('<form id="sign-in" method="post" action="/notifications/user">');
    expect(html).toContain('<form id="post" method="post" action="/notifications">');
    expect(html).toContain('<select id="to" name="to">');
    expect(html).toContain('aria-live="polite"');
  });
});
