import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * What a child process serves over IPC: methods of one JSON argument that
 * return JSON (or a promise of it).
 */
export type Api = Record<string, (arg: never) => unknown>;

type ArgOf<F> = F extends (arg: infer A) => unknown ? A : never;
type ResultOf<F> = F extends (arg: never) => infer R ? Awaited<R> : never;

interface CallMessage {
  id: number;
  method: string;
  arg: unknown;
}

interface ReplyMessage {
  id: number;
  result?: unknown;
  error?: string;
}

interface ReadyMessage {
  ready: unknown;
}

/** The bench's own folder: children run from here so `--import tsx` resolves. */
export const benchDir = fileURLToPath(new URL("..", import.meta.url));

/** How long a child lives at most, whatever happens to its parent. */
const CHILD_LIFETIME_MS = 30 * 60 * 1000;
const STOP_GRACE_MS = 3000;

/** A child process started from a TypeScript file, whose {@link Api} the parent calls. */
export class RpcChild<A extends Api> {
  readonly #child: ChildProcess;
  readonly #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<void>;
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (message: ReplyMessage) => {
      const call = this.#calls.get(message.id);
      if (call === undefined) return;
      this.#calls.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(message.error));
      else call.resolve(message.result);
    });
    child.once("exit", (code, signal) => {
      for (const call of this.#calls.values()) call.reject(new Error(`child exited (${code ?? signal}) mid-call`));
      this.#calls.clear();
    });
  }

  /**
   * Forks `file` (relative to this folder's `src`) under tsx and waits until
   * it says it is ready, with what it said (a server's port, say).
   */
  static async start<A extends Api, Ready>(
    file: string,
    args: string[],
    nodeOptions: string[] = [],
  ): Promise<{ child: RpcChild<A>; ready: Ready }> {
    const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
      cwd: benchDir,
      execArgv: ["--import", "tsx", "--conditions=sse-middleware-source", ...nodeOptions],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const ready = await new Promise<Ready>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`${file} exited (${code}) before it was ready`));
      child.once("exit", onExit);
      child.once("message", (message: ReadyMessage) => {
        child.off("exit", onExit);
        resolve(message.ready as Ready);
      });
    });
    return { child: new RpcChild<A>(child), ready };
  }

  /** Calls one method in the child; rejects with the child's error message. */
  call<K extends keyof A & string>(method: K, arg: ArgOf<A[K]>): Promise<ResultOf<A[K]>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message: CallMessage = { id, method, arg };
      this.#child.send(message);
    });
  }

  /** Lets the child go (it exits when IPC closes) and kills it if it lingers. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}

/**
 * The child's side: serves `api` to the parent, says `ready`, and exits when
 * the parent lets go (or dies), or after a lifetime bound in any case.
 */
export function serveRpc<A extends Api>(api: A, ready: unknown): void {
  const send = (message: ReplyMessage | ReadyMessage): void => {
    if (process.connected) process.send?.(message);
  };
  process.on("message", (message: CallMessage) => {
    const method = api[message.method];
    if (method === undefined) {
      send({ id: message.id, error: `no method ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => method(message.arg as never))
      .then(
        (result) => send({ id: message.id, result }),
        (error: unknown) => send({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  process.on("disconnect", () => process.exit(0));
  setTimeout(() => process.exit(3), CHILD_LIFETIME_MS).unref();
  send({ ready });
}
