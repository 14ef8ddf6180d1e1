/**
 * A load generator process: holds thousands of client connections, counts
 * what they receive, and answers the orchestrator over IPC. Several of these
 * run at once, so no process holds more sockets than its file limit allows.
 */
import { serveRpc } from "../ipc.js";
import { wallClockMs } from "../clock.js";
import { runChurn, type ChurnArgs, type ChurnReport } from "./churn.js";
import { LatencyHistogram, type HistogramData } from "./histogram.js";
import { LoadClient, type ClientMode, type CountBy, type DeliveryGoal } from "./load-client.js";

/** Arguments of {@link WorkerApi.open}. */
export interface OpenArgs {
  port: number;
  path: string;
  count: number;
  mode: ClientMode;
  /** For `latency` clients: events with ids up to this are warm-up. */
  latencyAfterId?: number;
  /** Where clients read each event's number (default: its id). */
  countBy?: CountBy;
  /**
   * When set, the clients are users `firstUser`, `firstUser + 1`, …: each
   * asks for `path?user=N` and may count events addressed to it (see LoadClient).
   */
  firstUser?: number;
}

/** When this worker's reading clients all had every event, or that they did not in time. */
export interface DeliveryReport {
  complete: boolean;
  /** Wall-clock time the last of them got the last event (or the time-out). */
  doneAt: number;
}

/** Exactly what this worker's reading clients received. */
export interface Tally {
  clients: number;
  received: number;
  errors: number;
  /** Reading clients that received exactly `events` events and no error. */
  exact: number;
}

/** The methods the orchestrator calls. */
export type WorkerApi = {
  open(arg: OpenArgs): Promise<number>;
  arm(arg: { events: number }): void;
  awaitDelivery(arg: { timeoutMs: number }): Promise<DeliveryReport>;
  tally(arg: { events: number }): Tally;
  latency(arg: null): HistogramData;
  closeAll(arg: null): Promise<void>;
  churn(arg: ChurnArgs): Promise<ChurnReport>;
};

/** Connections being set up at once, so the server's accept backlog never overflows. */
const OPEN_CONCURRENCY = 64;

let clients: LoadClient[] = [];
let histogram = new LatencyHistogram();
let remaining = 0;
let doneAt = 0;
let onAllDone: (() => void) | undefined;

const goal: DeliveryGoal = {
  target: Number.POSITIVE_INFINITY,
  reached() {
    remaining -= 1;
    if (remaining === 0) {
      doneAt = wallClockMs();
      onAllDone?.();
    }
  },
};

const readers = (): LoadClient[] => clients.filter((client) => client.mode !== "stall");

const api: WorkerApi = {
  async open({ port, path, count, mode, latencyAfterId = 0, countBy = "id", firstUser }) {
    const sink = { histogram, afterId: latencyAfterId };
    let opened = 0;
    let next = 0;
    const openOne = async (): Promise<void> => {
      while (next < count) {
        const user = firstUser === undefined ? undefined : firstUser + next;
        next += 1;
        const client = new LoadClient(port, user === undefined ? path : `${path}?user=${user}`, mode, goal, sink, countBy, user);
        clients.push(client);
        const status = await client.opened;
        if (status !== 200) throw new Error(`stream answered ${status}`);
        opened += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, openOne));
    return opened;
  },

  arm({ events }) {
    goal.target = events;
    doneAt = 0;
    remaining = readers().filter((client) => client.received < events).length;
  },

  awaitDelivery({ timeoutMs }) {
    // doneAt stays 0 for a worker without reading clients: it finished nothing.
    if (remaining === 0) return Promise.resolve({ complete: true, doneAt });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        onAllDone = undefined;
        resolve({ complete: false, doneAt: wallClockMs() });
      }, timeoutMs);
      onAllDone = () => {
        clearTimeout(timer);
        onAllDone = undefined;
        resolve({ complete: true, doneAt });
      };
    });
  },

  tally({ events }) {
    const reading = readers();
    let received = 0;
    let errors = 0;
    let exact = 0;
    for (const client of reading) {
      received += client.received;
      errors += client.errors;
      if (client.received === events && client.errors === 0) exact += 1;
    }
    return { clients: reading.length, received, errors, exact };
  },

  latency() {
    return histogram.toData();
  },

  async closeAll() {
    const closing = clients.map((client) => client.close());
    clients = [];
    histogram = new LatencyHistogram();
    goal.target = Number.POSITIVE_INFINITY;
    remaining = 0;
    await Promise.all(closing);
  },

  churn(args) {
    return runChurn(args);
  },
};

serveRpc(api, { pid: process.pid });
