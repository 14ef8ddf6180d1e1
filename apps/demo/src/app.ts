import express, { type Express } from "express";
import { fileURLToPath } from "node:url";
import { sse } from "sse-middleware";
import { createCompareRouter } from "./compare.js";
import { createNotificationChannel, notificationRoutes, type NotificationChannel } from "./notifications.js";
import { createStreamsRouter } from "./streams.js";
import { firstTickAfter } from "./ticks.js";

/** Options of the demo app; the defaults are the blog's: 20 ticks, a second apart. */
export interface DemoOptions {
  ticks?: number;
  intervalMs?: number;
  /** The channel behind the notifications page; in memory unless given. */
  notifications?: NotificationChannel;
}

const publicDir = fileURLToPath(new URL("../../../public/", import.meta.url));

/**
 * The blog's example: `GET /sse` streams the server's clock `ticks` times,
 * `intervalMs` apart, with ids 1..ticks; `GET /` is the page that shows it.
 * `/compare/*` serves `compare.html`, which races polling, long polling and
 * SSE over the same ticks; `/streams/ticks` serves `streams.html`'s endless
 * streams, a tick every `intervalMs`.
 */
export function createApp({
  ticks = 20,
  intervalMs = 1000,
  notifications = createNotificationChannel(),
}: DemoOptions = {}): Express {
  const app = express();
  app.use(notificationRoutes(notifications));
  // A client that loses the stream (say, the server restarts) comes back
  // within one tick and resumes with the next one.
  app.use(sse({ retry: intervalMs }));

  app.get("/sse", (req, res) => {
    const first = firstTickAfter(res.sse.lastEventId, ticks);
    // The stream is complete. A browser reconnects after every stream ends,
    // so the blog's page would start over forever; 204 stops it for good.
    if (first === undefined) {
      res.status(204).end();
      return;
    }
    let tick = first;
    const sendTick = (): void => {
      res.sse.send(Date.now(), { id: String(tick) });
      if (tick === ticks) {
        clearInterval(timer);
        res.sse.close();
      }
      tick += 1;
    };
    const timer = setInterval(sendTick, intervalMs);
    res.sse.signal.addEventListener("abort", () => clearInterval(timer));
    sendTick();
  });

  // The blog's first version, by hand: no middleware, one write per tick.
  // It stays as the baseline the benchmarks measure against.
  app.get("/sse/raw", (req, res) => {
    const first = firstTickAfter(req.get("last-event-id"), ticks);
    if (first === undefined) {
      res.status(204).end();
      return;
    }
    res.writeHead(200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
    });
    res.write(`retry: ${intervalMs}\n\n`);
    let tick = first;
    const sendTick = (): void => {
      res.write(`id: ${tick}\ndata: ${Date.now()}\n\n`);
      if (tick === ticks) {
        clearInterval(timer);
        res.end();
      }
      tick += 1;
    };
    const timer = setInterval(sendTick, intervalMs);
    res.on("close", () => clearInterval(timer));
    sendTick();
  });

  app.use("/compare", createCompareRouter({ ticks, intervalMs }));
  app.use("/streams", createStreamsRouter({ intervalMs }));

  app.use(express.static(publicDir));
  return app;
}
