import net from "node:net";
import { wallClockMs } from "../clock.js";
import { readPublishTime, readSequence } from "../payload.js";
import type { LatencyHistogram } from "./histogram.js";
import { HttpResponseReader } from "./http-response-reader.js";
import { SseParser } from "./sse-parser.js";

/**
 * How a client behaves: `count` reads and counts every event; `latency`
 * also records each event's delay since it was published; `stall` takes the
 * response head and then never reads again, like a frozen tab.
 */
export type ClientMode = "count" | "latency" | "stall";

/**
 * Where a client reads an event's number: its SSE `id` (the bench's own ids,
 * 1, 2, 3, …), or the payload's `n`, for a channel whose ids are its own
 * (Redis entry ids).
 */
export type CountBy = "id" | "data";

/** What the clients of one load generator share: the target they race to. */
export interface DeliveryGoal {
  /** Events each reading client must receive. */
  target: number;
  /** Called once by each client as it reaches the target. */
  reached(): void;
}

/** Where a client records latencies, and from which event id on. */
export interface LatencySink {
  histogram: LatencyHistogram;
  /** Events with ids up to this one are warm-up and not recorded. */
  afterId: number;
}

const OPEN_TIMEOUT_MS = 30_000;

/** The request every client sends; the path is the only thing that varies. */
export function eventStreamRequest(port: number, path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`;
}

/**
 * One EventSource-like client on a raw socket that counts events exactly:
 * event numbers must arrive as 1, 2, 3, … with none missing, repeated or
 * reordered, and anything else counts as an error. An event addressed to
 * one user has the id `<number>@<user>`: only the client of that user may
 * count it, and for any other it is an error, so a leak shows as surely as
 * a loss.
 */
export class LoadClient {
  readonly mode: ClientMode;
  /** Events received in order. */
  received = 0;
  /** Events whose id was not the next expected one (a gap, duplicate or stray). */
  errors = 0;
  /** Resolves with the response status once the head has arrived. */
  readonly opened: Promise<number>;
  readonly #socket: net.Socket;
  readonly #goal: DeliveryGoal;
  readonly #latency: LatencySink | undefined;
  readonly #countByData: boolean;
  /** The user this client is, for events addressed to one user; undefined: none is for it. */
  readonly #user: string | undefined;
  #arrivalMs = 0;

  constructor(
    port: number,
    path: string,
    mode: ClientMode,
    goal: DeliveryGoal,
    latency?: LatencySink,
    countBy: CountBy = "id",
    user?: number,
  ) {
    this.mode = mode;
    this.#goal = goal;
    this.#latency = mode === "latency" ? latency : undefined;
    this.#countByData = countBy === "data";
    this.#user = user === undefined ? undefined : String(user);
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    this.#socket = socket;
    socket.setEncoding("latin1");
    const parser = new SseParser(this.#onEvent, this.#latency !== undefined || this.#countByData);
    this.opened = new Promise((resolve, reject) => {
      const reader = new HttpResponseReader(
        (head) => {
          socket.setTimeout(0);
          if (mode === "stall") socket.pause();
          resolve(head.status);
        },
        (piece) => parser.push(piece),
      );
      socket.on("connect", () => socket.write(eventStreamRequest(port, path)));
      socket.on("data", (text: string) => {
        if (this.#latency !== undefined) this.#arrivalMs = wallClockMs();
        reader.push(text);
      });
      socket.on("error", reject);
      socket.on("close", () => reject(new Error("closed before the response head")));
      // A server that never answers must not hang the bench.
      socket.setTimeout(OPEN_TIMEOUT_MS, () => {
        reject(new Error(`no response head within ${OPEN_TIMEOUT_MS} ms`));
        socket.destroy();
      });
    });
  }

  /** Closes the connection; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.#socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once("close", () => resolve());
      this.#socket.destroy();
    });
  }

  /** An id's number: `7`, or `7@42` for an event addressed to user 42, which is NaN (an error) on any other client. */
  #numberOf(id: string): number {
    const at = id.indexOf("@");
    if (at === -1) return Number(id);
    return id.slice(at + 1) === this.#user ? Number(id.slice(0, at)) : Number.NaN;
  }

  // An arrow function: the parser calls it for every event, with no bind.
  readonly #onEvent = (lastEventId: string, firstData: string): void => {
    const id = this.#countByData ? readSequence(firstData) : this.#numberOf(lastEventId);
    if (id !== this.received + 1) {
      this.errors += 1;
      return;
    }
    this.received = id;
    if (id === this.#goal.target) this.#goal.reached();
    const latency = this.#latency;
    if (latency !== undefined && id > latency.afterId) {
      const publishedAt = readPublishTime(firstData);
      if (Number.isFinite(publishedAt)) latency.histogram.record(this.#arrivalMs - publishedAt);
    }
  };
}
