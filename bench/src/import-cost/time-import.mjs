/**
 * `node time-import.mjs [specifier]`: the timed probe. Imports one package
 * the way a user's app does and prints `{"importMs": …}`, the time `await
 * import()` took in this fresh process; with no specifier it imports
 * nothing, which times node alone.
 *
 * Plain JavaScript run by plain `node`: a TypeScript loader (tsx) in this
 * process would sit in the import being timed.
 */
const specifier = process.argv[2];

const started = performance.now();
if (specifier !== undefined) await import(specifier);
const importMs = performance.now() - started;

// Exit as soon as the figure is out: a package that starts a timer at import
// must not keep the process (and its spawn-to-exit time) alive. A pipe can
// take the write in pieces, so exit only once it is flushed.
process.stdout.write(JSON.stringify({ importMs }), () => process.exit(0));
