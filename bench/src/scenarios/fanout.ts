import { skipReason, type ContenderName, type SkippedRun } from "../contenders.js";
import { withServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";
import { measureBurst, type BurstMeasurement } from "./measure-burst.js";

/** One contender's fan-out burst at one number of streams. */
export interface FanoutRun extends BurstMeasurement {
  contender: ContenderName;
  clients: number;
  /** From the first connect until the contender counted every client. */
  openMs: number;
  /** Events per measured round. */
  events: number;
  burstSize: number;
  payloadBytes: number;
}

/**
 * Scenario 1: N open streams, then events published in bursts; events
 * delivered per second until every client has every event.
 */
export async function runFanout(session: BenchSession): Promise<(FanoutRun | SkippedRun)[]> {
  const { clients: sizes, events, burstSize, payloadBytes, rounds, roundBudgetMs, timeoutMs } = session.config.fanout;
  const runs: (FanoutRun | SkippedRun)[] = [];
  for (const clients of sizes) {
    for (const contender of session.contenders) {
      const skipped = skipReason(contender, clients);
      if (skipped !== undefined) {
        runs.push({ contender, streams: clients, skipped });
        session.log(`fan-out ${clients} streams, ${contender}: skipped`);
        continue;
      }
      const run = await withServer(contender, { nodeOptions: session.serverNodeOptions(contender, `fanout-${clients}`) }, async (server) => {
        try {
          const opening = performance.now();
          await session.pool.open(server.port, clients, "count");
          await server.waitForClients(clients);
          const openMs = performance.now() - opening;
          const measured = await measureBurst(session, server, {
            readers: clients,
            events,
            burstSize,
            payloadBytes,
            rounds,
            roundBudgetMs,
            timeoutMs,
          });
          return { contender, clients, openMs, events, burstSize, payloadBytes, ...measured };
        } finally {
          await session.pool.closeAll();
        }
      });
      session.log(`fan-out ${clients} streams, ${contender}: ${Math.round(run.eventsPerSecond).toLocaleString("en")} events/s`);
      runs.push(run);
    }
  }
  return runs;
}
