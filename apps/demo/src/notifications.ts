import express, { type Request, type Response, type Router } from "express";
import { createChannel, sse, type Channel, type SseController, type SubscribeOptions } from "sse-middleware";

/** Where a notification goes: every page, the pages of the `news` topic, or one user's pages. */
export type Recipient = "everyone" | "news" | `user:${string}`;

/** One notification as it travels to the pages. */
export interface Notification {
  text: string;
  /** When the server accepted it, in ms since the epoch. */
  at: number;
  /** Who it was sent to, so a page can tell a note for its user from news. */
  to: Recipient;
  /** The name of the user who posted it; null for a visitor who has not picked one. */
  from: string | null;
}

/** The events of the notifications channel, for a typed channel: `createChannel<NotificationEvents>()`. */
export type NotificationEvents = { notification: Notification };

/**
 * What the inbox needs of a channel: the in-memory `createChannel`, or one
 * whose publish is asynchronous (such as `createRedisChannel`), typed with
 * {@link NotificationEvents}.
 */
export interface NotificationChannel {
  publish(data: Notification, options: { event: "notification"; topics?: readonly string[] }): string | Promise<string>;
  subscribe(stream: SseController, options?: SubscribeOptions): () => void;
}

/** The cookie that holds the user's name: it stands in for the session of the app's login. */
export const USER_COOKIE = "inbox-user";

const MAX_TEXT_LENGTH = 500;
const MAX_NAME_LENGTH = 32;
// Names become topics (`user:<name>`) and a cookie's value: nothing there
// needs escaping, and "Alice" and "alice" are one user.
const NAME_PATTERN = new RegExp(`^[a-z0-9_-]{1,${MAX_NAME_LENGTH}}$`);
const NAME_RULE = `a user name must be 1 to ${MAX_NAME_LENGTH} letters, digits, "-" or "_"`;

/** The channel the demo uses when none is given: the last 100 notifications are kept for replay. */
export function createNotificationChannel(): Channel<NotificationEvents> {
  return createChannel<NotificationEvents>({ history: 100 });
}

/** A user name as typed (any case, surrounding spaces), or undefined when it breaks {@link NAME_RULE}. */
function parseUserName(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const name = value.trim().toLowerCase();
  return NAME_PATTERN.test(name) ? name : undefined;
}

/** Who is asking: a visitor who picked no name, a user, or a cookie that holds no valid name. */
type Session = { kind: "visitor" } | { kind: "user"; name: string } | { kind: "invalid" };

function readSession(req: Request): Session {
  // The demo has no cookie parser: one cookie of safe characters needs none.
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at === -1 || pair.slice(0, at).trim() !== USER_COOKIE) continue;
    const name = parseUserName(pair.slice(at + 1));
    return name === undefined ? { kind: "invalid" } : { kind: "user", name };
  }
  return { kind: "visitor" };
}

/** The topics a session reads: `news`, and its own user's; never anything the client names. */
function topicsOf(session: { kind: "visitor" } | { kind: "user"; name: string }): string[] {
  return session.kind === "user" ? ["news", `user:${session.name}`] : ["news"];
}

/** Answers 400 with `{ error }`, the shape every route of the inbox uses. */
function badRequest(res: Response, error: string): void {
  res.status(400).json({ error });
}

const INVALID_SESSION = `the ${USER_COOKIE} cookie holds no valid name (${NAME_RULE}): pick a name again`;

/** Where a post goes, from the form's `to` ("everyone", "news" or "user") and `user` fields. */
function parseRecipient(body: { to?: unknown; user?: unknown }): { to: Recipient } | { error: string } {
  const { to = "everyone" } = body;
  if (to === "everyone" || to === "news") return { to };
  if (to !== "user") return { error: 'to must be "everyone", "news" or "user"' };
  const name = parseUserName(body.user);
  return name === undefined ? { error: `to a user: ${NAME_RULE}` } : { to: `user:${name}` };
}

/**
 * The inbox:
 * - `POST /notifications/user` (`user`) picks the user's name: a cookie, as a
 *   login would set; `GET /notifications/user` says who is signed in.
 * - `GET /notifications/stream` is the page's one stream: messages to
 *   everyone, the `news` topic and, for a signed-in user, notes to that user.
 *   A page that reconnects with `Last-Event-ID` gets what it missed of those.
 * - `POST /notifications` (`text`, `to`: everyone, news or user, `user`)
 *   publishes a message.
 */
export function notificationRoutes(channel: NotificationChannel): Router {
  const router = express.Router();
  const parseForm = express.urlencoded({ extended: false, limit: "4kb" });
  const parseJson = express.json({ limit: "4kb" });
  // A form posted without JavaScript goes back to the page; a script gets JSON.
  const answer = (req: Request, res: Response, status: number, json: unknown): void => {
    if (req.is("application/x-www-form-urlencoded")) res.redirect(303, "/notifications.html");
    else res.status(status).json(json);
  };

  router.get("/notifications/user", (req, res) => {
    const session = readSession(req);
    if (session.kind === "invalid") badRequest(res, INVALID_SESSION);
    else res.json({ user: session.kind === "user" ? session.name : null });
  });

  router.post("/notifications/user", parseForm, parseJson, (req, res) => {
    const name = parseUserName((req.body as { user?: unknown } | undefined)?.user);
    if (name === undefined) {
      badRequest(res, NAME_RULE);
      return;
    }
    res.cookie(USER_COOKIE, name, { httpOnly: true, sameSite: "lax", path: "/" });
    answer(req, res, 200, { user: name });
  });

  // `retry` goes out as soon as the stream opens: nginx passes a response's
  // head on only with its first body bytes, and a page that resumes with
  // nothing to catch up on would otherwise wait for an event or a heartbeat
  // to see its stream open.
  router.get("/notifications/stream", sse({ retry: 2000 }), (req, res) => {
    const session = readSession(req);
    // Nothing is written yet, so a plain 400 can still answer instead of the stream.
    if (session.kind === "invalid") badRequest(res, INVALID_SESSION);
    else channel.subscribe(res.sse, { topics: topicsOf(session) });
  });

  router.post("/notifications", parseForm, parseJson, async (req, res, next) => {
    const body = (req.body ?? {}) as { text?: unknown; to?: unknown; user?: unknown };
    const { text } = body;
    if (typeof text !== "string" || text.trim() === "" || text.length > MAX_TEXT_LENGTH) {
      badRequest(res, `text must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters`);
      return;
    }
    const recipient = parseRecipient(body);
    if ("error" in recipient) {
      badRequest(res, recipient.error);
      return;
    }
    const { to } = recipient;
    const session = readSession(req);
    if (session.kind === "invalid") {
      badRequest(res, INVALID_SESSION);
      return;
    }
    try {
      const notification: Notification = {
        text: text.trim(),
        at: Date.now(),
        to,
        from: session.kind === "user" ? session.name : null,
      };
      const id = await channel.publish(
        notification,
        to === "everyone" ? { event: "notification" } : { event: "notification", topics: [to] },
      );
      answer(req, res, 201, { id });
    } catch (error) {
      next(error);
    }
  });

  return router;
}
