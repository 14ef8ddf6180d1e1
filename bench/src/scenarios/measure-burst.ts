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
  /** Measured rounds; the median is reported. */
  rounds: number;
  timeoutMs: number;
}

/** How a burst went. */
export interface BurstMeasurement {
  /** Median over rounds of events delivered per second, from a round's first publish until the last client had its last event. */
  eventsPerSecond: number;
  /** Each round's events per second, in order. */
  roundsEventsPerSecond: number[];
  /** Median round's duration. */
  elapsedMs: number;
  /** Whether every reading client had every event of every round before the time-out. */
  complete: boolean;
  /** Exactly what the reading clients received, warm-up included. */
  delivery: Tally;
  /** Events each client should have received, warm-up included. */
  expectedPerClient: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Publishes one warm-up burst (delivered, not timed, so the JIT has seen the
 * path), then `rounds` rounds of `events` in bursts of `burstSize`, each
 * burst its own macrotask, timing each round from its first publish until
 * the last reading client has its last event. Rounds never overlap.
 */
export async function measureBurst(session: BenchSession, server: BenchServer, plan: BurstPlan): Promise<BurstMeasurement> {
  const { pool } = session;
  const { events, burstSize, payloadBytes, rounds, timeoutMs } = plan;
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
  let complete = (await round(burstSize)).complete;
  const measured: { eventsPerSecond: number; elapsedMs: number }[] = [];
  for (let i = 0; i < rounds && complete; i += 1) {
    const result = await round(events);
    complete = result.complete;
    measured.push({ eventsPerSecond: complete ? (plan.readers * events * 1000) / result.elapsedMs : 0, elapsedMs: result.elapsedMs });
  }
  const roundsEventsPerSecond = measured.map((m) => m.eventsPerSecond);
  const middle = median(roundsEventsPerSecond);
  return {
    eventsPerSecond: complete ? middle : 0,
    roundsEventsPerSecond,
    elapsedMs: measured.find((m) => m.eventsPerSecond === middle)?.elapsedMs ?? 0,
    complete,
    delivery: await pool.tally(lastId),
    expectedPerClient: lastId,
  };
}
