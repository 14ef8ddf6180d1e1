import { skipReason, type ContenderName, type SkippedRun } from "../contenders.js";
import { withServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";
import { openAndMeasureBurst, summarizePasses, type BurstPass, type BurstRun } from "./measure-burst.js";

/** One pass of one contender: a fresh server, its clients, its rounds. */
export type FanoutPass = BurstPass;

/** One contender's fan-out burst at one number of streams, over every pass. */
export interface FanoutRun extends BurstRun {
  contender: ContenderName;
  clients: number;
  passes: FanoutPass[];
}

async function runPass(session: BenchSession, contender: ContenderName, clients: number, pass: number): Promise<FanoutPass> {
  const { events, burstSize, payloadBytes, rounds, roundBudgetMs, timeoutMs } = session.config.fanout;
  const nodeOptions = session.serverNodeOptions(contender, `fanout-${clients}-${pass}`);
  const plan = { readers: clients, events, burstSize, payloadBytes, rounds, roundBudgetMs, timeoutMs };
  return withServer(contender, { nodeOptions }, (server) => openAndMeasureBurst(session, [server], plan));
}

/**
 * Scenario 1: N open streams, then events published in bursts; events
 * delivered per second until every client has every event. Contenders take
 * turns, pass after pass, each pass against a fresh server.
 */
export async function runFanout(session: BenchSession): Promise<(FanoutRun | SkippedRun)[]> {
  const { clients: sizes, events, burstSize, payloadBytes, passes } = session.config.fanout;
  const runs: (FanoutRun | SkippedRun)[] = [];
  for (const clients of sizes) {
    const measured = new Map<ContenderName, FanoutPass[]>();
    for (let pass = 1; pass <= passes; pass += 1) {
      for (const contender of session.contenders) {
        if (skipReason(contender, clients) !== undefined) continue;
        const result = await runPass(session, contender, clients, pass);
        measured.set(contender, [...(measured.get(contender) ?? []), result]);
        session.log(
          `fan-out ${clients} streams, ${contender}, pass ${pass}: median ${Math.round(result.eventsPerSecond).toLocaleString("en")} events/s`,
        );
      }
    }
    for (const contender of session.contenders) {
      const skipped = skipReason(contender, clients);
      const results = measured.get(contender);
      if (skipped !== undefined || results === undefined) {
        runs.push({ contender, streams: clients, skipped: skipped ?? "not measured" });
        continue;
      }
      runs.push({ contender, clients, events, burstSize, payloadBytes, ...summarizePasses(results), passes: results });
    }
  }
  return runs;
}
