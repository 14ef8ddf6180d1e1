import type { ContenderName } from "../contenders.js";
import { withServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";

/** One contender's connect-and-disconnect rate. */
export interface ChurnRun {
  contender: ContenderName;
  concurrency: number;
  cycles: number;
  failures: number;
  elapsedMs: number;
  /** Streams opened and then dropped by the client, per second. */
  cyclesPerSecond: number;
  /** Streams the contender still counted after the clients left and a grace period: a leak if not 0. */
  leftOpen: number;
}

const SETTLE_MS = 5000;

/**
 * Scenario 5: loops that open a stream, wait for its head, and drop it;
 * connects and disconnects per second, and whether the server let go of
 * every one of them.
 */
export async function runChurn(session: BenchSession): Promise<ChurnRun[]> {
  const { concurrency, durationMs, maxCycles } = session.config.churn;
  const runs: ChurnRun[] = [];
  for (const contender of session.contenders) {
    const run = await withServer(contender, { nodeOptions: session.serverNodeOptions(contender, "churn") }, async (server) => {
      const report = await session.pool.churn({ port: server.port, path: "/events", concurrency, durationMs, maxCycles });
      let leftOpen = 0;
      try {
        await server.waitForClients(0, SETTLE_MS);
      } catch {
        leftOpen = await server.rpc.call("clients", null);
      }
      return { contender, concurrency, ...report, cyclesPerSecond: (report.cycles * 1000) / report.elapsedMs, leftOpen };
    });
    session.log(`churn, ${contender}: ${Math.round(run.cyclesPerSecond).toLocaleString("en")} connects+disconnects/s`);
    runs.push(run);
  }
  return runs;
}
