/**
 * The per-tick scheduler that streams and channels both depend on (neither
 * depends on the other). Channels defer their fan-out passes here, so a
 * burst of events costs one walk over the subscribers per tick; streams
 * defer their writes here, so each connection gets one write per tick.
 *
 * The wire keeps the order of the calls because of two rules:
 * - passes run in the order they were deferred, and a producer only extends
 *   its batch while that batch is the last one deferred (see `lastDeferred`);
 * - before a stream takes bytes of its own (`send`, `comment`, `close`), it
 *   calls `runDeferred()`, so events published before that call go first;
 *   and when that call comes from user code a task runs (a channel's
 *   filter), where the task's own events are not on their way yet, the
 *   stream defers the call itself, to after the task (see `inCallout`).
 */

/** Work deferred to the end of the tick: a channel's pass over a batch of events. */
export interface DeferredTask {
  run(): void;
}

let tasks: DeferredTask[] = [];
let running = false;
// How deep the running code is in user callbacks of deferred work.
let callouts = 0;
let endScheduled = false;
// Called once at the end of each tick, after every deferred task: the
// stream module's flush of the connections written to this tick.
const tickEndHooks: (() => void)[] = [];

function endTick(): void {
  endScheduled = false;
  runDeferred();
  for (const hook of tickEndHooks) hook();
}

function scheduleEnd(): void {
  if (endScheduled) return;
  endScheduled = true;
  process.nextTick(endTick);
}

/** Defers `task` to the end of this tick, after every task deferred before it. */
export function defer(task: DeferredTask): void {
  tasks.push(task);
  scheduleEnd();
}

/** The task deferred last and not yet run: a producer may add to it while it is its own. */
export function lastDeferred(): DeferredTask | undefined {
  return tasks.at(-1);
}

/**
 * Runs every deferred task now, in order, including tasks they defer. From
 * inside a task it returns at once: the running loop takes what is added.
 * Tasks must not throw; one that does is reported and the rest still run.
 */
export function runDeferred(): void {
  if (running || tasks.length === 0) return;
  running = true;
  try {
    // By index: a task may defer more while the loop runs.
    for (let i = 0; i < tasks.length; i += 1) {
      try {
        tasks[i]!.run();
      } catch (error) {
        reportError(error);
      }
    }
  } finally {
    tasks = [];
    running = false;
  }
}

/**
 * Marks the start of user code that a producer runs while delivering (a
 * channel's filter, its onError); pair each with {@link leaveCallout}.
 */
export function enterCallout(): void {
  callouts += 1;
}

/** Marks the end of what {@link enterCallout} began. */
export function leaveCallout(): void {
  callouts -= 1;
}

/**
 * Whether the running code is user code called by a producer while it
 * delivers: a stream call made there is deferred, to land after what the
 * producer is delivering (which was published before the call).
 */
export function inCallout(): boolean {
  return callouts > 0;
}

/** Whether deferred tasks are running now (a caller inside one must not wait for them). */
export function isRunningDeferred(): boolean {
  return running;
}

/** Asks for `hook` to run at the end of this tick, after the deferred tasks. */
export function atTickEnd(): void {
  scheduleEnd();
}

/** Registers a hook run at the end of every tick that was asked for with {@link atTickEnd}. */
export function onTickEnd(hook: () => void): void {
  tickEndHooks.push(hook);
}

/**
 * Reports an error that has no caller to throw to (a user callback run from
 * a deferred pass) as a process warning, which never ends the process.
 */
export function reportError(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)));
}
