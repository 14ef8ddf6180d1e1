import type { CountBy } from "../load/load-client.js";
import { split } from "../load/pool.js";
import type { Tally } from "../load/worker.js";
import type { BenchServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";

/** A burst to measure. */
export interface BurstPlan {
  /** Clients that read (and are counted). */
  readers: number;
  /** Events each reading client gets in one measured round. */
  events: number;
  /** Publishes per macrotask. */
  burstSize: number;
  payloadBytes: number;
  /** Events delivered before measuring, so the JIT has seen the path; by default one burst. */
  fillEvents?: number;
  /** Events the clients already have: ids go on from here. */
  afterId?: number;
  /**
   * Each event goes to these users one by one instead, one publish each
   * (see `BurstArgs.users`): the clients must be these users, one each.
   */
  users?: number;
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
  /** The server's CPU time in each round's publishes and writes, in order, ms. */
  roundsCpuMs: number[];
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
 * Delivers `fillEvents` (one burst by default) untimed, then times rounds
 * of `events` published in bursts of `burstSize`, each burst its own
 * macrotask, each round from its first publish until the last reading
 * client has its last event. Rounds never overlap.
 */
export async function measureBurst(session: BenchSession, server: BenchServer, plan: BurstPlan): Promise<BurstMeasurement> {
  const { pool } = session;
  const { events, burstSize, payloadBytes, timeoutMs, users } = plan;
  let lastId = plan.afterId ?? 0;
  const round = async (count: number): Promise<{ complete: boolean; elapsedMs: number; cpuMs: number }> => {
    await pool.arm(lastId + count);
    const [burst, delivered] = await Promise.all([
      server.rpc.call("burst", { firstId: lastId + 1, events: count, burstSize, payloadBytes, users }),
      pool.awaitDelivery(timeoutMs),
    ]);
    lastId += count;
    return { complete: delivered.complete, elapsedMs: delivered.doneAt - burst.startedAt, cpuMs: burst.cpuMs };
  };
  let complete = (await round(plan.fillEvents ?? burstSize)).complete;
  const roundsEventsPerSecond: number[] = [];
  const roundsCpuMs: number[] = [];
  let spentMs = 0;
  while (complete && roundsEventsPerSecond.length < plan.rounds && spentMs < plan.roundBudgetMs) {
    const result = await round(events);
    complete = result.complete;
    spentMs += result.elapsedMs;
    if (complete) {
      roundsEventsPerSecond.push((plan.readers * events * 1000) / result.elapsedMs);
      roundsCpuMs.push(result.cpuMs);
    }
  }
  return {
    eventsPerSecond: complete ? median(roundsEventsPerSecond) : 0,
    bestEventsPerSecond: complete ? Math.max(...roundsEventsPerSecond) : 0,
    roundsEventsPerSecond,
    roundsCpuMs,
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
 * Opens `readers` clients spread evenly over `servers` (one, or the
 * instances of one deployment), waits until each server counts its share,
 * then runs `measure`; the clients are disconnected afterwards, whatever
 * happens.
 */
export async function withClients<T extends object>(
  session: BenchSession,
  servers: readonly BenchServer[],
  readers: number,
  options: { countBy?: CountBy; users?: boolean },
  measure: () => Promise<T>,
): Promise<T & { openMs: number }> {
  try {
    const shares = split(readers, servers.length);
    const opening = performance.now();
    for (const [i, server] of servers.entries()) await session.pool.open(server.port, shares[i]!, "count", options);
    await Promise.all(servers.map((server, i) => server.waitForClients(shares[i]!)));
    const openMs = performance.now() - opening;
    return { openMs, ...(await measure()) };
  } finally {
    await session.pool.closeAll();
  }
}

/** Opens `plan.readers` clients (see {@link withClients}), then measures burst rounds published on the first server. */
export function openAndMeasureBurst(
  session: BenchSession,
  servers: readonly BenchServer[],
  plan: BurstPlan,
  countBy: CountBy = "id",
): Promise<BurstPass> {
  return withClients(session, servers, plan.readers, { countBy }, () => measureBurst(session, servers[0]!, plan));
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
