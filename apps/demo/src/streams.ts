import { Router } from "express";
import { firstTickAfter } from "./ticks.js";

/** Options of {@link createStreamsRouter}. */
export interface StreamsOptions {
  /** Milliseconds between two ticks of each stream. */
  intervalMs: number;
}

/**
 * The server side of `streams.html`, to mount at `/streams`: `GET /ticks`
 * sends a tick at once and then every `intervalMs`, for as long as the client
 * keeps the stream open. It never ends by itself, so a browser's waiting
 * connections stay waiting and the six-per-origin limit of HTTP/1.1 shows.
 * Needs `sse()` mounted before it.
 */
export function createStreamsRouter({ intervalMs }: StreamsOptions): Router {
  const router = Router();
  router.get("/ticks", (req, res) => {
    // A reconnecting page counts on from the last tick it saw.
    let tick = firstTickAfter(res.sse.lastEventId, Number.MAX_SAFE_INTEGER) ?? 1;
    const sendTick = (): void => {
      res.sse.send(tick, { id: String(tick) });
      tick += 1;
    };
    const timer = setInterval(sendTick, intervalMs);
    res.sse.signal.addEventListener("abort", () => clearInterval(timer));
    sendTick();
  });
  return router;
}
