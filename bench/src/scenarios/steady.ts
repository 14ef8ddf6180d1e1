import type { ContenderName } from "../contenders.js";
import { summarizeLatency, type HistogramData, type LatencySummary } from "../load/histogram.js";
import type { Tally } from "../load/worker.js";
import { withServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";

/** One contender's latency at a steady publish rate, merged over its passes. */
export interface SteadyRun extends LatencySummary {
  contender: ContenderName;
  clients: number;
  perSecond: number;
  passes: number;
  /** Events measured (after the warm-up), per client and pass. */
  measuredEvents: number;
  /** Worst lateness of the server's own publish timer; latency above it is not the contender's. */
  maxPublishLagMs: number;
  complete: boolean;
  /** What the clients received, summed over passes. */
  delivery: Tally;
  expectedPerClient: number;
}

interface Pass {
  latency: HistogramData[];
  maxPublishLagMs: number;
  complete: boolean;
  delivery: Tally;
}

async function runPass(session: BenchSession, contender: ContenderName, pass: number): Promise<Pass> {
  const { clients, events, warmupEvents, perSecond, payloadBytes } = session.config.steady;
  return withServer(contender, { nodeOptions: session.serverNodeOptions(contender, `steady-${pass}`) }, async (server) => {
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
        latency: await session.pool.latency(),
        maxPublishLagMs: published.maxLagMs,
        complete: delivered.complete,
        delivery: await session.pool.tally(events),
      };
    } finally {
      await session.pool.closeAll();
    }
  });
}

/**
 * Scenario 2: clients receive events published at a fixed rate; each event
 * carries its publish time and each client records publish-to-receive delay
 * on the shared wall clock (`performance.timeOrigin + performance.now()`).
 * Contenders take turns, pass after pass, so a spell of load from elsewhere
 * on the machine does not land on one contender only.
 */
export async function runSteady(session: BenchSession): Promise<SteadyRun[]> {
  const { clients, events, warmupEvents, perSecond, passes } = session.config.steady;
  const byContender = new Map<ContenderName, Pass[]>(session.contenders.map((contender) => [contender, []]));
  for (let pass = 1; pass <= passes; pass += 1) {
    for (const contender of session.contenders) {
      const result = await runPass(session, contender, pass);
      byContender.get(contender)!.push(result);
      const summary = summarizeLatency(result.latency);
      session.log(
        `steady ${perSecond}/s to ${clients}, ${contender}, pass ${pass}: p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms, max ${summary.maxMs.toFixed(2)} ms`,
      );
    }
  }
  return session.contenders.map((contender) => {
    const results = byContender.get(contender)!;
    return {
      contender,
      clients,
      perSecond,
      passes,
      measuredEvents: events - warmupEvents,
      ...summarizeLatency(results.flatMap((result) => result.latency)),
      maxPublishLagMs: Math.max(...results.map((result) => result.maxPublishLagMs)),
      complete: results.every((result) => result.complete),
      delivery: results
        .map((result) => result.delivery)
        .reduce((sum, t) => ({
          clients: sum.clients + t.clients,
          received: sum.received + t.received,
          errors: sum.errors + t.errors,
          exact: sum.exact + t.exact,
        })),
      expectedPerClient: events,
    };
  });
}
