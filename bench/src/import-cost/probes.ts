import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchDir } from "../ipc.js";

/** One fresh process's import of a package. */
export interface ImportTiming {
  /** `await import()`, timed inside the process. */
  importMs: number;
  /** The whole process, timed here from spawn to exit: node's start-up, the import, the exit. */
  processMs: number;
}

/** A module file an import loaded, and its size on disk. */
export interface LoadedFile {
  path: string;
  bytes: number;
}

/** What importing a package loaded, seen from a process of its own. */
export interface LoadedFiles {
  /** The file the specifier resolves to. */
  entry: string;
  /** Every module file loaded, the entry and its dependencies' included, sorted by path. */
  files: LoadedFile[];
}

const PROBE_TIMEOUT_MS = 30_000;

/**
 * Runs `file` (a probe beside this one) in a fresh plain `node` from the
 * bench folder, so bare specifiers resolve as in a user's app there, and
 * returns what it printed and how long it lived.
 */
function runProbe(file: string, args: string[]): Promise<{ stdout: string; processMs: number }> {
  // No NODE_OPTIONS: the process a user starts carries no loader, tsx's or any other.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url)), ...args], {
      cwd: benchDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let processMs = 0;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
    child.once("exit", () => (processMs = performance.now() - started));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, processMs });
      else reject(new Error(`node ${file} ${args.join(" ")} failed (${signal ?? code}${signal === "SIGKILL" ? `, over ${PROBE_TIMEOUT_MS} ms` : ""}):\n${stderr}`));
    });
  });
}

/** Times `await import(specifier)` in a fresh process; with no specifier, times node importing nothing. */
export async function timeImport(specifier: string | undefined): Promise<ImportTiming> {
  const { stdout, processMs } = await runProbe("./time-import.mjs", specifier === undefined ? [] : [specifier]);
  const { importMs } = JSON.parse(stdout) as { importMs: number };
  return { importMs, processMs };
}

/** Every module file `import(specifier)` loads, listed by a process of its own (its hooks would skew a timing). */
export async function listLoadedFiles(specifier: string): Promise<LoadedFiles> {
  const { stdout } = await runProbe("./list-loaded-files.mjs", [specifier]);
  return JSON.parse(stdout) as LoadedFiles;
}
