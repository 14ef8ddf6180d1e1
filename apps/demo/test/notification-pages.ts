// What a page of the inbox does, from Node: picking a user name (the
// cookie), an EventSource on the stream, and posting a message.
import { EventSource } from "eventsource";
import { Arrivals } from "sse-testkit/http";

/** One notification as a page got it. */
export interface Received {
  id: string;
  /** "everyone", "news" or "user:<name>" */
  to: string;
  text: string;
}

/** Signs in as `name` as the page's form does (JSON), and returns the response. */
export function signIn(url: string, name: string): Promise<Response> {
  return fetch(`${url}/notifications/user`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: name }),
  });
}

/** Signs in as `name` and returns the `Cookie` header a browser would send from then on. */
export async function cookieFor(url: string, name: string): Promise<string> {
  const response = await signIn(url, name);
  if (response.status !== 200) throw new Error(`signing in as ${name} answered ${response.status}: ${await response.text()}`);
  const setCookie = response.headers.get("set-cookie");
  if (setCookie === null) throw new Error(`signing in as ${name} set no cookie`);
  return setCookie.split(";")[0]!;
}

/** Options of {@link openPage}. */
export interface PageOptions {
  /** The `Cookie` header (from {@link cookieFor}); none for a visitor. */
  cookie?: string;
  /** Resume after this id, as a page that reconnects does. */
  lastEventId?: string;
  /** Appended to the stream's URL, such as `?topics=user:bob`. */
  query?: string;
}

/** A page's EventSource on the inbox stream, recording what it shows. */
export function openPage(url: string, { cookie, lastEventId, query = "" }: PageOptions = {}) {
  const received = new Arrivals<Received>();
  let lastId: string | undefined = lastEventId;
  const headers: Record<string, string> = {};
  if (cookie !== undefined) headers.Cookie = cookie;
  if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
  const source = new EventSource(`${url}/notifications/stream${query}`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...headers, ...init?.headers } }),
  });
  const opened = new Promise<void>((resolve) => (source.onopen = () => resolve()));
  source.addEventListener("notification", (event) => {
    lastId = event.lastEventId;
    const { to, text } = JSON.parse(event.data) as { to: string; text: string };
    received.push({ id: event.lastEventId, to, text });
  });
  return {
    opened,
    received: received.items,
    get texts(): string[] {
      return received.items.map((item) => item.text);
    },
    lastId: () => lastId,
    close: () => source.close(),
    waitForCount: (count: number) => received.atLeast(count),
    /** Waits until the page got a notification with this text. */
    async waitFor(text: string): Promise<void> {
      while (!received.items.some((item) => item.text === text)) await received.atLeast(received.items.length + 1);
    },
  };
}

/** Options of {@link post}: where the message goes, and who posts it. */
export interface PostOptions {
  /** "everyone" (the default), "news" or "user" (then `user` names who). */
  to?: string;
  user?: string;
  /** The poster's `Cookie` header; none for a visitor. */
  cookie?: string;
}

/** Posts a message, as the page does. */
export async function post(url: string, text: string, { to, user, cookie }: PostOptions = {}): Promise<Response> {
  return fetch(`${url}/notifications`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(cookie === undefined ? {} : { Cookie: cookie }) },
    body: JSON.stringify({ text, to, user }),
  });
}

/** Posts `body` (urlencoded) to `path` as a browser without JavaScript does, and does not follow the redirect. */
export function postForm(url: string, path: string, body: string): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body,
    redirect: "manual",
  });
}
