import type { CountBy } from "../load/load-client.js";
import { split } from "../load/pool.js";
import type { Tally } from "../load/worker.js";
import type { BenchServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";

/** A burst to measure. */
export interface BurstPlan {
  /** Clients that read (and are counted). */
  readers: number;
  /** Events in one measured round. */
  events: number;
  burstSize: number;
  payloadBytes: number;
  /** Events delivered before measuring (at least one burst, so the JIT has seen the path). */
  fillEvents?: number;
  /** Measured rounds at most… */
  rounds: number;
  /** …and no round starts once this much time went into measured rounds. */
  roundBudgetMs: number;
  timeoutMs: number;
}

/** How a burst went. */
export interface BurstMeasurement {
  /**
   * Events delivered per second in the median round, each round timed from
   * its first publish until the last reading client had its last event.
   */
  eventsPerSecond: number;
  /** The fastest round's events per second. */
  bestEventsPerSecond: number;
  /** Each round's events per second, in order. */
  roundsEventsPerSecond: number[];
  /** Whether every reading client had every event before the time-out. */
  complete: boolean;
  /** Exactly what the reading clients received, fill included. */
  delivery: Tally;
  /** Events each client should have received, fill included. */
  expectedPerClient: number;
}

/** The middle value (the upper one of two); 0 for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Delivers `fillEvents` (untimed), then times rounds of `events` published
 * in bursts of `burstSize`, each burst its own macrotask, each round from
 * its first publish until the last reading client has its last event.
 * Rounds never overlap.
 */
export async function measureBurst(session: BenchSession, server: BenchServer, plan: BurstPlan): Promise<BurstMeasurement> {
  const { pool } = session;
  const { events, burstSize, payloadBytes, timeoutMs } = plan;
  let lastId = 0;
  const round = async (count: number): Promise<{ complete: boolean; elapsedMs: number }> => {
    await pool.arm(lastId + count);
    const [burst, delivered] = await Promise.all([
      server.rpc.call("burst", { firstId: lastId + 1, events: count, burstSize, payloadBytes }),
      pool.awaitDelivery(timeoutMs),
    ]);
    lastId += count;
    return { complete: delivered.complete, elapsedMs: delivered.doneAt - burst.startedAt };
  };
  let complete = (await round(Math.max(burstSize, plan.fillEvents ?? 0))).complete;
  const roundsEventsPerSecond: number[] = [];
  let spentMs = 0;
  while (complete && roundsEventsPerSecond.length < plan.rounds && spentMs < plan.roundBudgetMs) {
    const result = await round(events);
    complete = result.complete;
    spentMs += result.elapsedMs;
    if (complete) roundsEventsPerSecond.push((plan.readers * events * 1000) / result.elapsedMs);
  }
  return {
    eventsPerSecond: complete ? median(roundsEventsPerSecond) : 0,
    bestEventsPerSecond: complete ? Math.max(...roundsEventsPerSecond) : 0,
    roundsEventsPerSecond,
    complete,
    delivery: await pool.tally(lastId),
    expectedPerClient: lastId,
  };
}

/** One pass of a burst scenario: fresh servers, their clients, the rounds. */
export interface BurstPass extends BurstMeasurement {
  /** From the first connect until every server counted its clients. */
  openMs: number;
}

/**
 * Opens `plan.readers` clients spread evenly over `servers` (one, or the
 * instances of one deployment), waits until each server counts its share,
 * then measures burst rounds published on the first server; the clients are
 * disconnected afterwards, whatever happens.
 */
export async function openAndMeasureBurst(
  session: BenchSession,
  servers: readonly BenchServer[],
  plan: BurstPlan,
  countBy: CountBy = "id",
): Promise<BurstPass> {
  try {
    const shares = split(plan.readers, servers.length);
    const opening = performance.now();
    for (const [i, server] of servers.entries()) await session.pool.open(server.port, shares[i]!, "count", { countBy });
    await Promise.all(servers.map((server, i) => server.waitForClients(shares[i]!)));
    const openMs = performance.now() - opening;
    return { openMs, ...(await measureBurst(session, servers[0]!, plan)) };
  } finally {
    await session.pool.closeAll();
  }
}

/** What one contender's passes add up to. */
export interface PassesSummary {
  /** The median round of every pass; 0 if any pass did not deliver everything. */
  eventsPerSecond: number;
  /** The fastest round of any pass; 0 likewise. */
  bestEventsPerSecond: number;
  /** Median over passes of the time to open every stream. */
  openMs: number;
}

/** A contender's burst rounds over every pass: what was published, and the summary. */
export interface BurstRun extends PassesSummary {
  /** Events per measured round. */
  events: number;
  burstSize: number;
  payloadBytes: number;
}

/** Sums up the passes of one contender. */
export function summarizePasses(passes: readonly BurstPass[]): PassesSummary {
  const rounds = passes.flatMap((pass) => pass.roundsEventsPerSecond);
  const complete = passes.every((pass) => pass.complete);
  return {
    eventsPerSecond: complete ? median(rounds) : 0,
    bestEventsPerSecond: complete ? Math.max(...rounds) : 0,
    openMs: median(passes.map((pass) => pass.openMs)),
  };
}
