import { TARGETED_CONTENDERS, type TargetedContenderName } from "../contenders.js";
import { withServer } from "../server/bench-server.js";
import type { BenchSession } from "../session.js";
import { measureBurst, median, summarizePasses, withClients, type BurstMeasurement } from "./measure-burst.js";

/** One pass of one contender: a fresh server, its users, rounds to one user at a time, then rounds to `news`. */
export interface TargetedPass {
  openMs: number;
  /** Publishes to one user each; every user gets `userPublishes / clients` of a round. */
  toUser: BurstMeasurement;
  /** Publishes to `news`, which every user follows; ids go on from `toUser`'s. */
  toNews: BurstMeasurement;
}

/** One contender's targeted delivery at one number of subscribers, over every pass. */
export interface TargetedRun {
  contender: TargetedContenderName;
  clients: number;
  /** Publishes to one user in a measured round. */
  userPublishes: number;
  /** Events to `news` in a measured round. */
  events: number;
  burstSize: number;
  payloadBytes: number;
  /** Events delivered per second by publishes to one user: the median round of every pass; 0 if any pass lost one. */
  toUserEventsPerSecond: number;
  /** The server's CPU time per publish to one user, in µs: the median round of every pass. */
  cpuPerPublishUs: number;
  /** Events delivered per second by publishes to `news`, likewise. */
  toNewsEventsPerSecond: number;
  /** Median over passes of the time to open every stream. */
  openMs: number;
  passes: TargetedPass[];
}

async function runPass(session: BenchSession, contender: TargetedContenderName, clients: number, pass: number): Promise<TargetedPass> {
  const { userPublishes, events, burstSize, payloadBytes, rounds, roundBudgetMs, timeoutMs } = session.config.targeted;
  if (userPublishes % clients !== 0) throw new RangeError(`${userPublishes} publishes to one user do not divide by ${clients} users`);
  const options = { targeted: true, nodeOptions: session.serverNodeOptions(contender, `targeted-${clients}-${pass}`) };
  const common = { readers: clients, burstSize, payloadBytes, rounds, roundBudgetMs, timeoutMs };
  return withServer(contender, options, (server) =>
    withClients(session, [server], clients, { users: true }, async () => {
      // Warmed up by a round's worth, untimed: at 1,000 users, one publish
      // to each left the first rounds twice as slow as the rest.
      const perRound = userPublishes / clients;
      const toUser = await measureBurst(session, server, { ...common, events: perRound, fillEvents: perRound, users: clients });
      const toNews = await measureBurst(session, server, { ...common, events, afterId: toUser.expectedPerClient });
      return { toUser, toNews };
    }),
  );
}

/**
 * Scenario 8: each client a user of its own, following its topic `user:N`
 * and `news`. Rounds of publishes to one user each (every user in turn, in
 * a random order, so each client expects the same count and any event that
 * reaches another user is an error), then rounds to `news`, which reaches
 * everyone. Events delivered per second, and the server's CPU time per
 * publish to one user, which must not grow with the number of subscribers.
 * Contenders take turns, pass after pass, each pass against a fresh server.
 */
export async function runTargeted(session: BenchSession): Promise<TargetedRun[]> {
  const { clients: sizes, userPublishes, events, burstSize, payloadBytes, passes } = session.config.targeted;
  const contenders = TARGETED_CONTENDERS.filter((contender) => session.contenders.includes(contender));
  const runs: TargetedRun[] = [];
  for (const clients of sizes) {
    const measured = new Map<TargetedContenderName, TargetedPass[]>();
    for (let pass = 1; pass <= passes; pass += 1) {
      for (const contender of contenders) {
        const result = await runPass(session, contender, clients, pass);
        measured.set(contender, [...(measured.get(contender) ?? []), result]);
        const cpuUs = (median(result.toUser.roundsCpuMs) * 1000) / userPublishes;
        session.log(
          `targeted ${clients} users, ${contender}, pass ${pass}: to one user ${Math.round(result.toUser.eventsPerSecond).toLocaleString("en")} events/s, ${cpuUs.toFixed(1)} µs CPU per publish; to news ${Math.round(result.toNews.eventsPerSecond).toLocaleString("en")} events/s`,
        );
      }
    }
    for (const contender of contenders) {
      const results = measured.get(contender) ?? [];
      const toUser = summarizePasses(results.map((pass) => ({ openMs: pass.openMs, ...pass.toUser })));
      const toNews = summarizePasses(results.map((pass) => ({ openMs: pass.openMs, ...pass.toNews })));
      runs.push({
        contender,
        clients,
        userPublishes,
        events,
        burstSize,
        payloadBytes,
        toUserEventsPerSecond: toUser.eventsPerSecond,
        cpuPerPublishUs: (median(results.flatMap((pass) => pass.toUser.roundsCpuMs)) * 1000) / userPublishes,
        toNewsEventsPerSecond: toNews.eventsPerSecond,
        openMs: toUser.openMs,
        passes: results,
      });
    }
  }
  return runs;
}
