import { RpcChild } from "../ipc.js";
import type { ChurnArgs, ChurnReport } from "./churn.js";
import type { HistogramData } from "./histogram.js";
import type { ClientMode, CountBy } from "./load-client.js";
import type { DeliveryReport, Tally, WorkerApi } from "./worker.js";

/** Clients one load generator takes before the next one is used (well under its 20,000 descriptors). */
const CLIENTS_PER_WORKER = 2500;

/** Splits `count` into `parts` near-equal whole shares. */
export function split(count: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(count / parts) + (i < count % parts ? 1 : 0));
}

/** When every reading client had every event, over all load generators. */
export interface PoolDelivery {
  complete: boolean;
  /** Wall-clock time the last client got the last event. */
  doneAt: number;
}

/**
 * The load generator processes of a bench session, started once and reused
 * by every run (servers are the ones started fresh). Clients are spread over
 * at least two of them, so reading runs on both cores, and over more as the
 * count grows.
 */
export class LoadPool {
  readonly #workers: RpcChild<WorkerApi>[];

  private constructor(workers: RpcChild<WorkerApi>[]) {
    this.#workers = workers;
  }

  static async start(size: number): Promise<LoadPool> {
    const started = await Promise.all(
      Array.from({ length: size }, () => RpcChild.start<WorkerApi, unknown>("./load/worker.ts", [])),
    );
    return new LoadPool(started.map(({ child }) => child));
  }

  /** The most clients the pool can hold. */
  get capacity(): number {
    return this.#workers.length * CLIENTS_PER_WORKER;
  }

  /**
   * Opens `count` clients on `port` and resolves once each has its response
   * head; `stalled` more (not counted as readers) take their head and stop
   * reading. With `users`, the readers are users 0 to `count - 1`, one each.
   */
  async open(
    port: number,
    count: number,
    mode: ClientMode,
    options: { stalled?: number; latencyAfterId?: number; countBy?: CountBy; users?: boolean } = {},
  ): Promise<void> {
    if (count > this.capacity) throw new RangeError(`${count} clients exceed the pool's ${this.capacity}`);
    const used = Math.min(this.#workers.length, Math.max(2, Math.ceil(count / CLIENTS_PER_WORKER)));
    const shares = split(count, used);
    const path = "/events";
    if (options.stalled !== undefined && options.stalled > 0) {
      await this.#workers[0]!.call("open", { port, path, count: options.stalled, mode: "stall" });
    }
    const { latencyAfterId, countBy } = options;
    await Promise.all(
      shares.map((share, i) => {
        const firstUser = options.users === true ? shares.slice(0, i).reduce((sum, n) => sum + n, 0) : undefined;
        return share === 0 ? 0 : this.#workers[i]!.call("open", { port, path, count: share, mode, latencyAfterId, countBy, firstUser });
      }),
    );
  }

  /** Sets the number of events every reading client must reach; call before publishing. */
  async arm(events: number): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.call("arm", { events })));
  }

  /** Resolves when every reading client has the armed number of events, or after `timeoutMs`. */
  async awaitDelivery(timeoutMs: number): Promise<PoolDelivery> {
    const reports: DeliveryReport[] = await Promise.all(this.#workers.map((worker) => worker.call("awaitDelivery", { timeoutMs })));
    return { complete: reports.every((report) => report.complete), doneAt: Math.max(...reports.map((report) => report.doneAt)) };
  }

  /** What the reading clients received, summed over the pool. */
  async tally(events: number): Promise<Tally> {
    const tallies = await Promise.all(this.#workers.map((worker) => worker.call("tally", { events })));
    return tallies.reduce((sum, t) => ({
      clients: sum.clients + t.clients,
      received: sum.received + t.received,
      errors: sum.errors + t.errors,
      exact: sum.exact + t.exact,
    }));
  }

  /** Every load generator's latency histogram, to merge with {@link summarizeLatency}. */
  async latency(): Promise<HistogramData[]> {
    return Promise.all(this.#workers.map((worker) => worker.call("latency", null)));
  }

  /** Disconnects every client; resolves once their sockets are closed. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.call("closeAll", null)));
  }

  /** Runs churn loops on two load generators at once and adds up their cycles. */
  async churn(args: ChurnArgs): Promise<ChurnReport> {
    const used = this.#workers.slice(0, 2);
    const budgets = split(args.maxCycles, used.length);
    const concurrency = split(args.concurrency, used.length);
    const reports = await Promise.all(
      used.map((worker, i) => worker.call("churn", { ...args, maxCycles: budgets[i]!, concurrency: concurrency[i]! })),
    );
    return {
      cycles: reports.reduce((sum, r) => sum + r.cycles, 0),
      failures: reports.reduce((sum, r) => sum + r.failures, 0),
      elapsedMs: Math.max(...reports.map((r) => r.elapsedMs)),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.stop()));
  }
}
