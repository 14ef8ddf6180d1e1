import net from "node:net";
import { eventStreamRequest } from "./load-client.js";

/** How a churn run goes: loops of connect, wait for the stream to open, disconnect. */
export interface ChurnArgs {
  port: number;
  path: string;
  /** Loops running at once. */
  concurrency: number;
  durationMs: number;
  /** Cycles at most, over all loops, whatever the time. */
  maxCycles: number;
}

/** What a churn run did. */
export interface ChurnReport {
  /** Streams that opened (status 200) and were then closed by the client. */
  cycles: number;
  failures: number;
  elapsedMs: number;
}

const OPEN_TIMEOUT_MS = 10_000;

/** Opens one stream, waits for its response head, and drops the connection. */
function openAndLeave(port: number, request: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    socket.setEncoding("latin1");
    let head = "";
    socket.on("connect", () => socket.write(request));
    socket.on("data", (text: string) => {
      head += text;
      if (head.indexOf("\r\n\r\n") === -1) return;
      socket.destroy();
      resolve(head.startsWith("HTTP/1.1 200"));
    });
    socket.on("error", () => resolve(false));
    socket.on("close", () => resolve(false));
    // A server that never answers must not hold a loop past its time.
    socket.setTimeout(OPEN_TIMEOUT_MS, () => socket.destroy());
  });
}

/**
 * Runs `concurrency` loops of connect, open, disconnect until the time or
 * the cycle budget is spent. Bounded both ways, so it always ends.
 */
export async function runChurn({ port, path, concurrency, durationMs, maxCycles }: ChurnArgs): Promise<ChurnReport> {
  const request = eventStreamRequest(port, path);
  const started = performance.now();
  let begun = 0;
  let cycles = 0;
  let failures = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() - started < durationMs && begun < maxCycles) {
      begun += 1;
      if (await openAndLeave(port, request)) cycles += 1;
      else failures += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { cycles, failures, elapsedMs: performance.now() - started };
}
