/**
 * Loader hooks for list-loaded-files.mjs: every file the ES module loader
 * loads, reported to the main thread by URL. Hooks run on a thread of their
 * own, so the URLs cross over the MessagePort handed to `initialize`.
 */

/** @typedef {{ url: string } | { done: true }} HookMessage */

/** @type {import("node:worker_threads").MessagePort | undefined} */
let mainThread;

/** @type {import("node:module").InitializeHook<{ port: import("node:worker_threads").MessagePort }>} */
export const initialize = ({ port }) => {
  mainThread = port;
  // The main thread asks once its import has settled. A port delivers in
  // order, so when this answer arrives every URL posted before it has too.
  port.on("message", () => port.postMessage(/** @type {HookMessage} */ ({ done: true })));
  port.unref();
};

/** @type {import("node:module").LoadHook} */
export const load = async (url, context, nextLoad) => {
  const loaded = await nextLoad(url, context);
  // node: built-ins are part of the binary, not files the import reads.
  if (url.startsWith("file:")) mainThread?.postMessage(/** @type {HookMessage} */ ({ url }));
  return loaded;
};
