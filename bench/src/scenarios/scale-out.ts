import { startRedisServer } from "sse-testkit/redis-server";
import type { ContenderName, RedisContenderName } from "../contenders.js";
import { withServers } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";
import { openAndMeasureBurst, summarizePasses, type BurstPass, type BurstRun } from "./measure-burst.js";

/** The contenders of this scenario: the Redis ones, and the in-memory channel on one instance for reference. */
export type ScaleOutContender = Extract<ContenderName, "sse-middleware"> | RedisContenderName;

/** One pass of one deployment: fresh instances, the clients spread over them, the rounds. */
export type ScaleOutPass = BurstPass;

/**
 * One deployment's fan-out through Redis (or in memory, for reference),
 * over every pass; rounds are timed from the first publish to the last
 * client's last event, on whichever instance.
 */
export interface ScaleOutRun extends BurstRun {
  contender: ScaleOutContender;
  /** Server processes sharing the channel; events are published on the first. */
  instances: number;
  /** Clients over all instances, split evenly. */
  clients: number;
  passes: ScaleOutPass[];
}

/** A deployment to measure: a contender and how many instances it runs on. */
interface Deployment {
  contender: ScaleOutContender;
  instances: number;
  /** Where the instances share events; none for the in-memory reference. */
  redis: boolean;
}

function deployments(session: BenchSession): Deployment[] {
  const { instances } = session.config.scaleOut;
  return [
    ...(session.contenders.includes("sse-middleware") ? [{ contender: "sse-middleware" as const, instances: 1, redis: false }] : []),
    ...session.redisContenders.map((contender) => ({ contender, instances, redis: true })),
  ];
}

async function runPass(session: BenchSession, deployment: Deployment, redisUrl: string, pass: number): Promise<ScaleOutPass> {
  const { clients, events, burstSize, payloadBytes, rounds, roundBudgetMs, timeoutMs } = session.config.scaleOut;
  const { contender, instances } = deployment;
  const options = {
    nodeOptions: session.serverNodeOptions(contender, `scale-out-${pass}`),
    // A stream (or pub/sub channel) of its own for each pass: nothing left
    // from an earlier one is read again.
    redis: deployment.redis ? { url: redisUrl, key: `bench:${contender}:${pass}` } : undefined,
  };
  const plan = { readers: clients, events, burstSize, payloadBytes, rounds, roundBudgetMs, timeoutMs };
  // Published on the first instance; delivery counts the clients of all.
  // They count by the payload's number: Redis entry ids are not 1, 2, 3, ….
  return withServers(contender, instances, options, (servers) => openAndMeasureBurst(session, servers, plan, "data"));
}

/**
 * Scenario 6: one channel shared by several server instances through a real
 * redis-server (started here, on a free port), clients spread evenly over
 * the instances, events published in bursts on one of them; events
 * delivered per second until every client of every instance has every
 * event. The in-memory channel on one instance, same clients, is the
 * reference for what going through Redis costs. Deployments take turns,
 * pass after pass, each pass on fresh servers and a fresh key.
 */
export async function runScaleOut(session: BenchSession): Promise<ScaleOutRun[]> {
  const { clients, events, burstSize, payloadBytes, passes } = session.config.scaleOut;
  const chosen = deployments(session);
  const measured = new Map<ScaleOutContender, ScaleOutPass[]>();
  const redis = await startRedisServer();
  try {
    for (let pass = 1; pass <= passes; pass += 1) {
      for (const deployment of chosen) {
        const result = await runPass(session, deployment, redis.url, pass);
        measured.set(deployment.contender, [...(measured.get(deployment.contender) ?? []), result]);
        session.log(
          `scale-out ${clients} clients over ${deployment.instances}, ${deployment.contender}, pass ${pass}: median ${Math.round(result.eventsPerSecond).toLocaleString("en")} events/s`,
        );
      }
    }
  } finally {
    await redis.remove();
  }
  return chosen.map(({ contender, instances }) => {
    const results = measured.get(contender) ?? [];
    return { contender, instances, clients, events, burstSize, payloadBytes, ...summarizePasses(results), passes: results };
  });
}
