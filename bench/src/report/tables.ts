import { CONTENDER_LABELS, TARGETED_LABELS, type ContenderName, type ServerContenderName, type SkippedRun } from "../contenders.js";
import { wasMeasured, type BenchResults } from "../results.js";
import type { ImportedPackage } from "../scenarios/import-cost.js";
import type { TargetedRun } from "../scenarios/targeted.js";
import { bytes, contendersOf, count, fanoutOf, memoryOf, ms, percent, signedBytes, sizesOf, targetedGrowth, targetedOf, times, us } from "./figures.js";
import { checkTargets } from "./targets.js";

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

const label = (contender: ServerContenderName): string => CONTENDER_LABELS[contender];

function skipped(runs: readonly ({ contender: ContenderName } | SkippedRun)[], contender: ContenderName, streams: number): boolean {
  return runs.some((run) => "skipped" in run && run.contender === contender && run.streams === streams);
}

function fanoutTable(results: BenchResults): string | undefined {
  const runs = results.fanout;
  if (runs === undefined || runs.length === 0) return undefined;
  const sizes = sizesOf(runs);
  const first = runs.find(wasMeasured);
  const rows = contendersOf(runs).map((contender) => [
    label(contender),
    ...sizes.map((clients) => {
      const run = fanoutOf(results, contender, clients);
      if (run !== undefined) return count(run.eventsPerSecond);
      return skipped(runs, contender, clients) ? "not run¹" : "—";
    }),
    ...sizes.map((clients) => {
      const run = fanoutOf(results, contender, clients);
      return run === undefined ? "—" : `${(run.openMs / 1000).toFixed(1)} s`;
    }),
  ]);
  const note = runs.find((run) => "skipped" in run);
  return [
    `### 1. Fan-out burst: events delivered per second${first === undefined ? "" : ` (${first.events} events of ${first.payloadBytes} B in bursts of ${first.burstSize}, median round of ${first.passes.length} passes taken in turn)`}`,
    "",
    table(
      ["contender", ...sizes.map((n) => `${count(n)} streams`), ...sizes.map((n) => `opening ${count(n)}`)],
      rows,
    ),
    ...(note !== undefined && "skipped" in note ? ["", `¹ ${note.skipped}.`] : []),
  ].join("\n");
}

function steadyTable(results: BenchResults): string | undefined {
  const runs = results.steady;
  if (runs === undefined || runs.length === 0) return undefined;
  const first = runs[0]!;
  return [
    `### 2. Steady rate: ${first.perSecond} events/s to ${count(first.clients)} clients, publish-to-receive latency (${count(first.samples)} samples each)`,
    "",
    table(
      ["contender", "p50", "p99", "max"],
      runs.map((run) => [label(run.contender), ms(run.p50Ms), ms(run.p99Ms), ms(run.maxMs)]),
    ),
  ].join("\n");
}

function memoryTable(results: BenchResults): string | undefined {
  const runs = results.memory;
  if (runs === undefined || runs.length === 0) return undefined;
  const sizes = sizesOf(runs);
  const cells = (contender: ContenderName, streams: number): string[] => {
    const run = memoryOf(results, contender, streams);
    if (run === undefined) return [skipped(runs, contender, streams) ? "not run¹" : "—", "—"];
    return [bytes(run.rssPerStream), bytes(run.jsPerStream)];
  };
  return [
    "### 3. Memory per idle stream (server process, after GC, minus the same server with none open)",
    "",
    table(
      ["contender", ...sizes.flatMap((n) => [`RSS at ${count(n)}`, `heap + external at ${count(n)}`])],
      contendersOf(runs).map((contender) => [label(contender), ...sizes.flatMap((streams) => cells(contender, streams))]),
    ),
  ].join("\n");
}

function slowReaderTable(results: BenchResults): string | undefined {
  const runs = results["slow-reader"];
  if (runs === undefined || runs.length === 0) return undefined;
  const first = runs[0]!;
  return [
    `### 4. One client that never reads among ${count(first.readers + 1)} (events of ${count(first.payloadBytes)} B)`,
    "",
    table(
      ["contender", "fast clients, events/s alone", "with the stalled one", "kept", "memory held after GC", "peak queued bytes", "stalled stream cut"],
      runs.map((run) => [
        label(run.contender),
        count(run.without.eventsPerSecond),
        count(run.with.eventsPerSecond),
        percent(run.throughputRatio),
        signedBytes(run.memoryGrowthBytes),
        signedBytes(run.peakQueuedGrowthBytes),
        run.with.clientsAtEnd < run.readers + 1 ? "yes" : "no",
      ]),
    ),
  ].join("\n");
}

function churnTable(results: BenchResults): string | undefined {
  const runs = results.churn;
  if (runs === undefined || runs.length === 0) return undefined;
  return [
    `### 5. Churn: streams opened and dropped per second (${runs[0]!.concurrency} loops at once)`,
    "",
    table(
      ["contender", "connects + disconnects/s", "left open afterwards"],
      runs.map((run) => [label(run.contender), count(run.cyclesPerSecond), String(run.leftOpen)]),
    ),
  ].join("\n");
}

function scaleOutTable(results: BenchResults): string | undefined {
  const runs = results["scale-out"];
  if (runs === undefined || runs.length === 0) return undefined;
  const first = runs[0]!;
  const spread = Math.max(...runs.map((run) => run.instances));
  const reference = runs.find((run) => run.instances === 1)?.eventsPerSecond;
  return [
    `### 6. Scale-out: one channel over ${spread} instances through Redis, ${count(first.clients)} clients spread evenly (${first.events} events of ${first.payloadBytes} B in bursts of ${first.burstSize}, published on one instance, median round of ${first.passes.length} passes taken in turn)`,
    "",
    table(
      ["contender", "instances", "events/s", "of one instance in memory", `opening ${count(first.clients)}`],
      runs.map((run) => [
        run.instances === 1 ? `${label(run.contender)} (in memory: the reference)` : label(run.contender),
        String(run.instances),
        count(run.eventsPerSecond),
        reference === undefined || reference === 0 ? "—" : percent(run.eventsPerSecond / reference),
        `${(run.openMs / 1000).toFixed(1)} s`,
      ]),
    ),
    "",
    "Timed from the first publish to the last client's last event, Redis round trip included. Only the Redis Streams channel keeps what it sent: a client that reconnects to any instance gets what it missed. Pub/sub forgets each message once delivered.",
  ].join("\n");
}

/** What a package's row says beside its name, where its name alone would not do. */
const IMPORT_ROLES: Partial<Record<ImportedPackage, string>> = {
  "sse-middleware-redis": "with the redis client",
  express: "every contender needs it",
};

function importCostTable(results: BenchResults): string | undefined {
  const cost = results["import-cost"];
  if (cost === undefined) return undefined;
  return [
    `### 7. Import cost: \`import\` of each package in a fresh \`node\` (median of ${cost.processes} processes each, packages in turn)`,
    "",
    table(
      ["package", "version", "time to import", "fastest", "spawn to exit", "files loaded", "bytes loaded"],
      cost.packages.map((run) => {
        const role = IMPORT_ROLES[run.package];
        return [
          role === undefined ? run.package : `${run.package} (${role})`,
          run.version,
          ms(run.importMs),
          ms(run.fastestImportMs),
          ms(run.processMs),
          count(run.files),
          bytes(run.bytes),
        ];
      }),
    ),
    "",
    `Time to import is \`await import()\` timed inside the process; spawn to exit is the whole process, timed from outside, and a \`node\` that imports nothing takes ${ms(cost.nodeAloneMs)} of it. Files and bytes: every module file the import loaded (dependencies included, node: built-ins not, package.json files the resolver reads not), listed by a process of its own.`,
  ].join("\n");
}

function targetedTable(results: BenchResults): string | undefined {
  const runs = results.targeted;
  if (runs === undefined || runs.length === 0) return undefined;
  const sizes = sizesOf(runs);
  const first = runs[0]!;
  const growth = sizes.length > 1 ? [`CPU ${count(sizes.at(-1)!)} ÷ ${count(sizes[0]!)}`] : [];
  const cell = (contender: ContenderName, clients: number, figure: (run: TargetedRun) => string): string => {
    const run = targetedOf(results, contender, clients);
    return run === undefined ? "—" : figure(run);
  };
  return [
    `### 8. Targeted delivery: each client a user of its own, on topics \`user:N\` and \`news\` (a round: ${count(first.userPublishes)} publishes to one user each, every user alike, in a random order; or ${first.events} events of ${first.payloadBytes} B to \`news\` in bursts of ${first.burstSize}; median round of ${first.passes.length} passes taken in turn)`,
    "",
    table(
      [
        "contender",
        ...sizes.map((n) => `to one user, events/s at ${count(n)}`),
        ...sizes.map((n) => `server CPU per publish to one user at ${count(n)}`),
        ...growth,
        ...sizes.map((n) => `to news, events/s at ${count(n)}`),
      ],
      contendersOf(runs).map((contender) => {
        const ratio = targetedGrowth(results, contender);
        return [
          TARGETED_LABELS[contender],
          ...sizes.map((clients) => cell(contender, clients, (run) => count(run.toUserEventsPerSecond))),
          ...sizes.map((clients) => cell(contender, clients, (run) => us(run.cpuPerPublishUs))),
          ...(growth.length === 0 ? [] : [ratio === undefined ? "—" : times(ratio)]),
          ...sizes.map((clients) => cell(contender, clients, (run) => count(run.toNewsEventsPerSecond))),
        ];
      }),
    ),
    "",
    "An event for one user reaches one connection, so events/s here is publishes/s. Server CPU is the server process's user + system time from the first publish of a round until its last write, divided by the round's publishes. Every client counts exactly: an event addressed to another user is an error, as is one missing.",
  ].join("\n");
}

function targetsTable(results: BenchResults): string | undefined {
  const checks = checkTargets(results);
  if (checks.length === 0) return undefined;
  return [
    `### Targets (sse-middleware against the others, in this run)${results.meta.smoke ? ": a smoke run, too small to mean anything" : ""}`,
    "",
    table(
      ["target", "measured", "met"],
      checks.map((check) => [check.target, check.measured, check.met === undefined ? "—" : check.met ? "yes" : "**no**"]),
    ),
  ].join("\n");
}

/** Every table of a run, as Markdown, with a line saying where and when it ran. */
export function renderTables(results: BenchResults): string {
  const { meta } = results;
  const header = `Node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}, ${meta.memoryGiB} GiB, ${meta.platform}; commit ${meta.commit}, ${meta.date.slice(0, 10)}; ${meta.durationS} s.`;
  const sections = [fanoutTable, steadyTable, memoryTable, slowReaderTable, churnTable, scaleOutTable, importCostTable, targetedTable, targetsTable]
    .map((render) => render(results))
    .filter((section): section is string => section !== undefined);
  return [header, ...sections].join("\n\n");
}
