import type { ContenderName } from "../contenders.js";
import type { LatencySummary } from "../load/histogram.js";
import type { Tally } from "../load/worker.js";
import { withServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";

/** One contender's latency at a steady publish rate. */
export interface SteadyRun extends LatencySummary {
  contender: ContenderName;
  clients: number;
  perSecond: number;
  /** Events measured (after the warm-up), per client. */
  measuredEvents: number;
  /** Worst lateness of the server's own publish timer; latency above it is not the contender's. */
  maxPublishLagMs: number;
  complete: boolean;
  delivery: Tally;
  expectedPerClient: number;
}

/**
 * Scenario 2: clients receive events published at a fixed rate; each event
 * carries its publish time and each client records publish-to-receive delay
 * on the shared wall clock (`performance.timeOrigin + performance.now()`).
 */
export async function runSteady(session: BenchSession): Promise<SteadyRun[]> {
  const { clients, events, warmupEvents, perSecond, payloadBytes } = session.config.steady;
  const runs: SteadyRun[] = [];
  for (const contender of session.contenders) {
    const run = await withServer(contender, { nodeOptions: session.serverNodeOptions(contender, "steady") }, async (server) => {
      try {
        await session.pool.open(server.port, clients, "latency", { latencyAfterId: warmupEvents });
        await server.waitForClients(clients);
        await session.pool.arm(events);
        const timeoutMs = (events / perSecond) * 1000 + 30_000;
        const [published, delivered] = await Promise.all([
          server.rpc.call("steady", { events, perSecond, payloadBytes }),
          session.pool.awaitDelivery(timeoutMs),
        ]);
        return {
          contender,
          clients,
          perSecond,
          measuredEvents: events - warmupEvents,
          ...(await session.pool.latency()),
          maxPublishLagMs: published.maxLagMs,
          complete: delivered.complete,
          delivery: await session.pool.tally(events),
          expectedPerClient: events,
        };
      } finally {
        await session.pool.closeAll();
      }
    });
    session.log(`steady ${perSecond}/s to ${clients}, ${contender}: p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, max ${run.maxMs.toFixed(2)} ms`);
    runs.push(run);
  }
  return runs;
}
