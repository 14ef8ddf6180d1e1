import type { ContenderName } from "../contenders.js";
import { withServer, type BenchServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";
import { measureBurst, type BurstMeasurement } from "./measure-burst.js";

/** One half of the comparison: with or without the client that never reads. */
export interface SlowReaderHalf extends BurstMeasurement {
  /** Heap + external after GC once the fast clients have everything, minus the same before publishing anything. */
  retainedGrowthBytes: number;
  /** Most bytes queued in the server's sockets at once (sampled every 10 ms). */
  peakQueuedBytes: number;
  /** Streams the contender still held at the end (one less than it had means it let go of the stalled one). */
  clientsAtEnd: number;
}

/** One contender with and without a stalled client among its streams. */
export interface SlowReaderRun {
  contender: ContenderName;
  readers: number;
  events: number;
  payloadBytes: number;
  without: SlowReaderHalf;
  with: SlowReaderHalf;
  /** Fast clients' throughput with the stalled client over without it. */
  throughputRatio: number;
  /** What the stalled client cost in server memory still held once the fast clients had everything (after GC). */
  memoryGrowthBytes: number;
  /** What the stalled client added to the most bytes queued in the server's sockets at once. */
  peakQueuedGrowthBytes: number;
}

async function measureHalf(session: BenchSession, server: BenchServer, stalled: number): Promise<SlowReaderHalf> {
  const plan = session.config.slowReader;
  const { readers } = plan;
  await session.pool.open(server.port, readers, "count", { stalled });
  await server.waitForClients(readers + stalled);
  const before = await server.rpc.call("memory", null);
  await server.rpc.call("startQueueSampling", null);
  const measured = await measureBurst(session, server, plan);
  const peakQueuedBytes = await server.rpc.call("stopQueueSampling", null);
  const after = await server.rpc.call("memory", null);
  return {
    ...measured,
    retainedGrowthBytes: after.heapUsed + after.external - (before.heapUsed + before.external),
    peakQueuedBytes,
    clientsAtEnd: await server.rpc.call("clients", null),
  };
}

/**
 * Scenario 4: fan-out to fast clients, once alone and once with one client
 * among them that never reads. Compares the fast clients' throughput and
 * what the stalled client costs the server in memory.
 */
export async function runSlowReader(session: BenchSession): Promise<SlowReaderRun[]> {
  const { readers, events, payloadBytes } = session.config.slowReader;
  const runs: SlowReaderRun[] = [];
  for (const contender of session.contenders) {
    const half = (stalled: number): Promise<SlowReaderHalf> =>
      withServer(
        contender,
        { trackSockets: true, nodeOptions: session.serverNodeOptions(contender, `slow-reader-${stalled}`) },
        async (server) => {
          try {
            return await measureHalf(session, server, stalled);
          } finally {
            await session.pool.closeAll();
          }
        },
      );
    const without = await half(0);
    const withStalled = await half(1);
    const run: SlowReaderRun = {
      contender,
      readers,
      events,
      payloadBytes,
      without,
      with: withStalled,
      throughputRatio: withStalled.eventsPerSecond / without.eventsPerSecond,
      memoryGrowthBytes: withStalled.retainedGrowthBytes - without.retainedGrowthBytes,
      peakQueuedGrowthBytes: withStalled.peakQueuedBytes - without.peakQueuedBytes,
    };
    session.log(
      `slow reader, ${contender}: fast clients keep ${(run.throughputRatio * 100).toFixed(0)}% throughput, memory +${(run.memoryGrowthBytes / 1024).toFixed(0)} KiB`,
    );
    runs.push(run);
  }
  return runs;
}
