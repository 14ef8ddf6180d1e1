/**
 * `node list-loaded-files.mjs <specifier>`: imports one package the way a
 * user's app does and prints, as JSON, the file the specifier resolves to
 * and every module file the import loaded (the package and its
 * dependencies; node: built-ins are no files) with its size on disk.
 *
 * Never the timed process: the hooks that watch the loader slow it down.
 * ES modules are seen by a loader hook (record-loads.mjs). CommonJS files
 * that CommonJS requires never reach those hooks in Node 20, so they come
 * from require.cache, where the CommonJS loader keeps every file it ran
 * (JSON and native addons too). A file both saw is counted once.
 */
import { statSync } from "node:fs";
import { createRequire, register } from "node:module";
import { fileURLToPath } from "node:url";
import { MessageChannel } from "node:worker_threads";

const specifier = process.argv[2];
if (specifier === undefined) throw new TypeError("usage: node list-loaded-files.mjs <specifier>");

const { port1: fromHooks, port2: toMain } = new MessageChannel();
/** @type {Set<string>} */
const moduleUrls = new Set();
/** @type {Promise<void>} */
const hooksDone = new Promise((resolve) => {
  fromHooks.on("message", (/** @type {import("./record-loads.mjs").HookMessage} */ message) => {
    if ("url" in message) moduleUrls.add(message.url);
    else resolve();
  });
});
register("./record-loads.mjs", import.meta.url, { data: { port: toMain }, transferList: [toMain] });

const requireCache = createRequire(import.meta.url).cache;
const cachedBefore = new Set(Object.keys(requireCache));
await import(specifier);
fromHooks.postMessage("done?");
await hooksDone;
fromHooks.close();

const paths = new Set([...moduleUrls].map((url) => fileURLToPath(url)));
for (const path of Object.keys(requireCache)) if (!cachedBefore.has(path)) paths.add(path);
const files = [...paths].sort().map((path) => ({ path, bytes: statSync(path).size }));
const entry = fileURLToPath(import.meta.resolve(specifier));

// Exit once the list is flushed: a pipe can take a long write in pieces,
// and a package that starts a timer at import must not hold the process.
process.stdout.write(JSON.stringify({ entry, files }), () => process.exit(0));
