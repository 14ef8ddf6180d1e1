import type { ServerContenderName } from "../contenders.js";
import { RpcChild } from "../ipc.js";
import type { RedisTarget } from "./contender.js";
import type { ServerApi } from "./server.js";

/** A running bench server: its RPC handle and its port. */
export interface BenchServer {
  rpc: RpcChild<ServerApi>;
  port: number;
  /** Resolves once the contender counts exactly `count` clients; rejects after `timeoutMs`. */
  waitForClients(count: number, timeoutMs?: number): Promise<void>;
}

/** How to start a bench server. */
export interface ServerOptions {
  /** Track sockets to sample the bytes queued for clients (costs memory per connection). */
  trackSockets?: boolean;
  /** Extra node options, e.g. `--cpu-prof` while profiling. */
  nodeOptions?: string[];
  /** Where a Redis contender shares its events. */
  redis?: RedisTarget;
  /** Run the contender's per-user form (the targeted scenario). */
  targeted?: boolean;
}

const POLL_MS = 20;

/**
 * Runs `body` against a fresh server process for `contender` and stops the
 * server afterwards, whatever happens. The server runs with `--expose-gc` so
 * memory can be read after collection.
 */
export async function withServer<T>(
  contender: ServerContenderName,
  options: ServerOptions,
  body: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const args = [
    contender,
    ...(options.trackSockets === true ? ["--track-sockets"] : []),
    ...(options.targeted === true ? ["--targeted"] : []),
    ...(options.redis === undefined ? [] : [`--redis-url=${options.redis.url}`, `--redis-key=${options.redis.key}`]),
  ];
  const { child, ready } = await RpcChild.start<ServerApi, { port: number }>("./server/server.ts", args, [
    "--expose-gc",
    ...(options.nodeOptions ?? []),
  ]);
  const server: BenchServer = {
    rpc: child,
    port: ready.port,
    async waitForClients(count, timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const clients = await child.call("clients", null);
        if (clients === count) return;
        if (performance.now() > deadline) throw new Error(`${contender}: ${clients} clients after ${timeoutMs} ms, expected ${count}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
  };
  try {
    return await body(server);
  } finally {
    await child.stop();
  }
}

/**
 * Runs `body` against `count` server processes of `contender` at once (the
 * instances of one deployment), and stops them all afterwards.
 */
export async function withServers<T>(
  contender: ServerContenderName,
  count: number,
  options: ServerOptions,
  body: (servers: BenchServer[]) => Promise<T>,
): Promise<T> {
  const started: BenchServer[] = [];
  const next = (): Promise<T> =>
    started.length === count
      ? body(started)
      : withServer(contender, options, (server) => {
          started.push(server);
          return next();
        });
  return next();
}
