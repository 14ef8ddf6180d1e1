// What the inbox must do whatever its channel is (in memory, or on Redis
// across two instances): each scenario takes the URLs of two instances of
// the demo that share one channel (the same URL twice for one instance).
import { expect } from "vitest";
import { cookieFor, openPage, post, type PostOptions } from "./notification-pages.js";

type Instances = readonly [string, string];

/** Posts a message that must be accepted, and returns its id. */
async function posted(url: string, text: string, options?: PostOptions): Promise<string> {
  const response = await post(url, text, options);
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/**
 * Alice sees news, everyone's messages and her own notes, never Bob's nor
 * Carol's; a visitor and a page that names topics in its query string see
 * only news and everyone's.
 */
export async function routesEachNoteToItsUser([a, b]: Instances): Promise<void> {
  const [alice, bob] = [await cookieFor(a, "alice"), await cookieFor(b, "bob")];
  const pages = {
    alice: openPage(a, { cookie: alice }),
    bob: openPage(b, { cookie: bob }),
    visitor: openPage(a),
    // Topics come from the session, never from the client's say-so.
    snooper: openPage(b, { query: "?topics=user:alice&user=alice" }),
  };
  await Promise.all(Object.values(pages).map((page) => page.opened));

  const ids = {
    everyone: await posted(a, "to everyone", { cookie: alice }),
    news: await posted(b, "news", { to: "news" }),
    alice: await posted(a, "for alice", { to: "user", user: "alice", cookie: bob }),
    bob: await posted(b, "for bob", { to: "user", user: " Bob " }),
    carol: await posted(a, "for carol", { to: "user", user: "carol" }),
    last: await posted(b, "last"),
  };
  await Promise.all(Object.values(pages).map((page) => page.waitFor("last")));

  const everyone = { id: ids.everyone, to: "everyone", text: "to everyone" };
  const news = { id: ids.news, to: "news", text: "news" };
  const last = { id: ids.last, to: "everyone", text: "last" };
  expect(pages.alice.received).toEqual([everyone, news, { id: ids.alice, to: "user:alice", text: "for alice" }, last]);
  expect(pages.bob.received).toEqual([everyone, news, { id: ids.bob, to: "user:bob", text: "for bob" }, last]);
  expect(pages.visitor.received).toEqual([everyone, news, last]);
  expect(pages.snooper.received).toEqual([everyone, news, last]);
  for (const page of Object.values(pages)) page.close();
}

/**
 * A page that was offline reconnects (to the other instance) with the id it
 * saw last and gets exactly what it missed of its own: no one else's note,
 * nothing twice, in order; then live ones.
 */
export async function catchesUpOnItsOwnAfterReconnecting([a, b]: Instances): Promise<void> {
  const alice = await cookieFor(a, "alice");
  const page = openPage(a, { cookie: alice });
  await page.opened;
  await posted(a, "before");
  await page.waitFor("before");
  page.close(); // offline

  const missed = [
    { id: await posted(b, "for alice 1", { to: "user", user: "alice" }), to: "user:alice", text: "for alice 1" },
    { id: await posted(a, "news", { to: "news" }), to: "news", text: "news" },
  ];
  await posted(b, "for bob", { to: "user", user: "bob" });
  missed.push(
    { id: await posted(a, "to everyone"), to: "everyone", text: "to everyone" },
    { id: await posted(b, "for alice 2", { to: "user", user: "alice" }), to: "user:alice", text: "for alice 2" },
  );
  await posted(a, "for bob again", { to: "user", user: "bob" });

  const back = openPage(b, { cookie: alice, lastEventId: page.lastId()! });
  await back.waitFor("for alice 2");
  const live = { id: await posted(a, "live", { to: "user", user: "alice" }), to: "user:alice", text: "live" };
  await back.waitFor("live");
  expect(back.received).toEqual([...missed, live]);
  back.close();
}

/**
 * A user whose first page opens after notes were sent to them (no
 * `Last-Event-ID`) starts from now: the channel replays only to a page that
 * says where it left off.
 */
export async function startsFreshWithoutLastEventId([a, b]: Instances): Promise<void> {
  const carol = await cookieFor(a, "carol");
  // Carol's page opens on B once B has the earlier events: a page that
  // opens while they are still on their way to B would rightly get them.
  const witness = openPage(b);
  await witness.opened;
  await posted(a, "before carol came", { to: "user", user: "carol" });
  await posted(a, "news before carol came", { to: "news" });
  await witness.waitFor("news before carol came");
  witness.close();

  const page = openPage(b, { cookie: carol });
  await page.opened;
  const id = await posted(a, "after carol came", { to: "user", user: "carol" });
  await page.waitFor("after carol came");
  expect(page.received).toEqual([{ id, to: "user:carol", text: "after carol came" }]);
  page.close();
}
