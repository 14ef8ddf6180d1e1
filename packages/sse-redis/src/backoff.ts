/** When to try Redis again after a failure, and waiting for it. */

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 2000;

/**
 * The delay before retry number `attempt` (0 for the first): doubling from
 * 50 ms up to 2 s, less a random part of up to a half, so many instances
 * that lost Redis together don't all come back in the same instant.
 */
export function retryDelay(attempt: number): number {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts (the channel closed). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
