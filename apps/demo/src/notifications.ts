import express, { type Router } from "express";
import { createChannel, sse, type ChannelStats, type PublishOptions, type SseController, type SseMiddleware } from "sse-middleware";

/**
 * What the notifications need of a channel: the in-memory `createChannel`,
 * or one whose publish is asynchronous (such as a Redis-backed channel).
 */
export interface NotificationChannel {
  publish(data: unknown, options?: PublishOptions): string | Promise<string>;
  subscribe(stream: SseController): () => void;
  stats(): ChannelStats;
}

/** One notification as it travels to the pages. */
export interface Notification {
  text: string;
  /** When the server accepted it, in ms since the epoch. */
  at: number;
}

const MAX_TEXT_LENGTH = 500;

/** The channel the demo uses when none is given: the last 100 notifications are kept for replay. */
export function createNotificationChannel(): NotificationChannel {
  return createChannel({ history: 100 });
}

/**
 * `POST /notifications` publishes a message to every open page;
 * `GET /notifications/stream` is the stream each page reads, which replays
 * what a page missed while it was offline when it reconnects.
 */
export function notificationRoutes(
  channel: NotificationChannel,
  // `retry` goes out as soon as the stream opens: nginx passes a response's
  // head on only with its first body bytes, and a page that resumes with
  // nothing to catch up on would otherwise wait for an event or a heartbeat
  // to see its stream open.
  streams: SseMiddleware = sse({ retry: 2000 }),
): Router {
  const router = express.Router();

  router.get("/notifications/stream", streams, (_req, res) => {
    channel.subscribe(res.sse);
  });

  router.post(
    "/notifications",
    express.urlencoded({ extended: false, limit: "4kb" }),
    express.json({ limit: "4kb" }),
    async (req, res, next) => {
      const text: unknown = (req.body as { text?: unknown } | undefined)?.text;
      if (typeof text !== "string" || text.trim() === "" || text.length > MAX_TEXT_LENGTH) {
        res.status(400).json({ error: `text must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters` });
        return;
      }
      try {
        const notification: Notification = { text: text.trim(), at: Date.now() };
        const id = await channel.publish(notification, { event: "notification" });
        // A form posted without JavaScript goes back to the page.
        if (req.is("application/x-www-form-urlencoded")) res.redirect(303, "/notifications.html");
        else res.status(201).json({ id });
      } catch (error) {
        next(error);
      }
    },
  );

  return router;
}
