/**
 * A real redis-server for the tests (the Debian package; the test command
 * installs it when missing): its own free port, its own temporary
 * directory, no persistence unless asked for. Never a mock.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Whether the process is running. */
  readonly running: boolean;
  /** Starts the process again on the same port and directory (after {@link RedisServer.stop}). */
  start(): Promise<void>;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /**
   * Freezes the process (SIGSTOP): its sockets stay open and the kernel
   * still accepts connections and data, but nothing is answered.
   */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
  /** Stops the process and removes its directory. */
  remove(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * Keep an append-only file in the temporary directory, written on every
   * command, so a restarted server still has the stream.
   */
  appendOnly?: boolean;
  /** Require this password (`requirepass`): clients must connect with `redis://:<password>@…`. */
  password?: string;
}

const BINARY = process.env.REDIS_SERVER ?? "redis-server";
const READY_TIMEOUT_MS = 10_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves when a PING on `port` is answered (PONG, or NOAUTH from a server with a password); false if no answer at all. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.on("error", () => finish(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => {
      reply += data.toString("latin1");
      if (reply.includes("\r\n")) finish(reply.startsWith("+PONG") || reply.startsWith("-NOAUTH"));
    });
  });
}

async function waitUntilReady(port: number, process: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (process.exitCode !== null || process.signalCode !== null) {
      throw new Error(`redis-server exited before answering PING:\n${log()}`);
    }
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms:\n${log()}`);
}

/** Starts a redis-server on a free port in a fresh temporary directory, and waits until it answers PING. */
export async function startRedisServer({ appendOnly = false, password }: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "sse-redis-test-"));
  const port = await freePort();
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--save", "",
    "--appendonly", appendOnly ? "yes" : "no",
    "--appendfsync", "always",
    "--dir", dir,
    ...(password === undefined ? [] : ["--requirepass", password]),
  ];
  let child: ChildProcess | undefined;
  let log = "";

  async function start(): Promise<void> {
    if (child !== undefined) throw new Error("redis-server is already running");
    log = "";
    const started = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    started.stdout!.on("data", (data: Buffer) => (log += data.toString()));
    started.stderr!.on("data", (data: Buffer) => (log += data.toString()));
    const spawned = new Promise<void>((resolve, reject) => {
      started.once("spawn", resolve);
      started.once("error", (error) =>
        reject(new Error(`Cannot run ${BINARY} (install Debian's redis-server): ${error.message}`)),
      );
    });
    try {
      await spawned;
      await waitUntilReady(port, started, () => log);
    } catch (error) {
      await stop();
      throw error;
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    // A paused process would hold the SIGTERM until it runs again.
    running.kill("SIGCONT");
    running.kill("SIGTERM");
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    start,
    stop,
    pause() {
      if (child === undefined || !child.kill("SIGSTOP")) throw new Error("redis-server is not running");
    },
    resume() {
      if (child === undefined || !child.kill("SIGCONT")) throw new Error("redis-server is not running");
    },
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
