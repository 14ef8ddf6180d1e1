import { Router, type Request, type Response } from "express";
import { startTickClock, type Tick, type TickClock } from "./clock.js";
import { firstTickAfter } from "./ticks.js";

/** Options of {@link createCompareRouter}: the ticks every comparison run produces. */
export interface CompareOptions {
  ticks: number;
  intervalMs: number;
}

/** What `POST /compare/runs` answers: the run to name in every other request. */
export interface CompareRun {
  run: string;
  ticks: number;
  intervalMs: number;
}

/**
 * Enough for a few open tabs; an older run's clock is stopped and its
 * requests get 404, so a forgotten tab cannot grow the server's memory.
 */
const maxRuns = 8;

/**
 * The server side of `compare.html`, to mount at `/compare`: polling, long
 * polling and SSE over the same ticks. `POST /runs` starts a run, one clock
 * that all three read, so they are compared on the very same ticks:
 *
 * - `GET /poll?run=R&after=k` answers at once with the ticks produced after k (often none);
 * - `GET /long-poll?run=R&after=k` holds the request until tick k+1 exists, then answers with it;
 * - `GET /sse?run=R` streams the ticks (id = tick, data = production time), then ends.
 *
 * Every answer carries each tick's production time, so the page can show
 * how late it got there. Needs `sse()` mounted before it.
 */
export function createCompareRouter({ ticks, intervalMs }: CompareOptions): Router {
  const router = Router();
  const runs = new Map<string, TickClock>();
  let lastRun = 0;

  router.post("/runs", (req, res) => {
    lastRun += 1;
    const run = String(lastRun);
    runs.set(run, startTickClock({ ticks, intervalMs }));
    for (const [oldRun, clock] of runs) {
      if (runs.size <= maxRuns) break;
      clock.stop();
      runs.delete(oldRun);
    }
    const body: CompareRun = { run, ticks, intervalMs };
    res.status(201).json(body);
  });

  router.get("/poll", (req, res) => {
    const clock = findRun(req, res, runs);
    if (clock === undefined) return;
    const after = readAfter(req, res);
    if (after === undefined) return;
    sendTicks(res, clock.ticksAfter(after));
  });

  router.get("/long-poll", async (req, res) => {
    const clock = findRun(req, res, runs);
    if (clock === undefined) return;
    const after = readAfter(req, res);
    if (after === undefined) return;
    const clientGone = new AbortController();
    res.on("close", () => clientGone.abort());
    const tick = await clock.nextTickAfter(after, clientGone.signal);
    if (clientGone.signal.aborted) return;
    // One tick per answer: a request per message is what long polling costs.
    sendTicks(res, tick === undefined ? [] : [tick]);
  });

  router.get("/sse", (req, res) => {
    const clock = findRun(req, res, runs);
    if (clock === undefined) return;
    const first = firstTickAfter(res.sse.lastEventId, clock.total);
    if (first === undefined) {
      res.status(204).end();
      return;
    }
    // A client resuming after tick k may connect before k exists: skip up to it.
    const sendTick = (tick: Tick): void => {
      if (tick.id >= first) res.sse.send(tick.producedAt, { id: String(tick.id) });
    };
    // Headers now, so the page sees the stream open before the first tick.
    res.sse.open();
    for (const tick of clock.ticksAfter(first - 1)) sendTick(tick);
    const unsubscribe = clock.subscribe({ onTick: sendTick, onEnd: () => res.sse.close() });
    res.sse.signal.addEventListener("abort", unsubscribe);
  });

  return router;
}

function findRun(req: Request, res: Response, runs: Map<string, TickClock>): TickClock | undefined {
  const run = req.query.run;
  const clock = typeof run === "string" ? runs.get(run) : undefined;
  if (clock === undefined) {
    res.status(404).json({ error: `no run ${JSON.stringify(run)}; start one with POST /compare/runs` });
  }
  return clock;
}

function readAfter(req: Request, res: Response): number | undefined {
  const after = req.query.after ?? "0";
  if (typeof after !== "string" || !/^\d{1,9}$/.test(after)) {
    res.status(400).json({ error: `after must be a tick number, got ${JSON.stringify(after)}` });
    return undefined;
  }
  return Number(after);
}

function sendTicks(res: Response, ticks: Tick[]): void {
  // Every poll must reach the server: a cached answer would hide new ticks.
  res.set("Cache-Control", "no-store").json(ticks);
}
