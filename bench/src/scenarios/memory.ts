import { skipReason, type ContenderName, type SkippedRun } from "../contenders.js";
import { withServer } from "../server/bench-server.js";
import type { MemorySample } from "../server/server.js";
import type { BenchSession } from "../session.js";

/** One contender's memory per idle stream at one number of streams. */
export interface MemoryRun {
  contender: ContenderName;
  streams: number;
  /** After GC with no stream open (after a warm-up that opened and closed a few). */
  baseline: MemorySample;
  /** After GC with every stream open and idle. */
  loaded: MemorySample;
  rssPerStream: number;
  /** V8 heap per stream. */
  heapPerStream: number;
  /** Heap plus memory outside it (buffers), per stream. */
  jsPerStream: number;
}

/** Streams opened and closed before the baseline, so lazily built code and caches are in it. */
const WARMUP_STREAMS = 20;

/**
 * Scenario 3: memory per idle stream, measured in the server process after
 * garbage collection, minus the same server's baseline with none open.
 */
export async function runMemory(session: BenchSession): Promise<(MemoryRun | SkippedRun)[]> {
  const runs: (MemoryRun | SkippedRun)[] = [];
  for (const streams of session.config.memory.streams) {
    for (const contender of session.contenders) {
      const skipped = skipReason(contender, streams);
      if (skipped !== undefined) {
        runs.push({ contender, streams, skipped });
        session.log(`memory ${streams} streams, ${contender}: skipped`);
        continue;
      }
      const run = await withServer(contender, { nodeOptions: session.serverNodeOptions(contender, `memory-${streams}`) }, async (server) => {
        try {
          await session.pool.open(server.port, WARMUP_STREAMS, "count");
          await server.waitForClients(WARMUP_STREAMS);
          await session.pool.closeAll();
          await server.waitForClients(0);
          const baseline = await server.rpc.call("memory", null);
          await session.pool.open(server.port, streams, "count");
          await server.waitForClients(streams);
          const loaded = await server.rpc.call("memory", null);
          const per = (key: keyof MemorySample): number => (loaded[key] - baseline[key]) / streams;
          return {
            contender,
            streams,
            baseline,
            loaded,
            rssPerStream: per("rss"),
            heapPerStream: per("heapUsed"),
            jsPerStream: per("heapUsed") + per("external"),
          };
        } finally {
          await session.pool.closeAll();
        }
      });
      session.log(
        `memory ${streams} streams, ${contender}: ${Math.round(run.rssPerStream)} B RSS, ${Math.round(run.heapPerStream)} B heap per stream`,
      );
      runs.push(run);
    }
  }
  return runs;
}
