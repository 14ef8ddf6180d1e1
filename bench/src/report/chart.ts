import { CONTENDERS, TARGETED_CONTENDERS, type ContenderName } from "../contenders.js";
import { wasMeasured, type BenchResults } from "../results.js";
import type { ScaleOutRun } from "../scenarios/scale-out.js";
import { bytes, count, fanoutOf, memoryOf, ms, percent, sizesOf, targetedGrowth, targetedOf, times } from "./figures.js";

/** One bar: a contender, or a deployment of one; no value where it was not run. */
interface Bar {
  label: string;
  color: string;
  value: number | undefined;
}

/** One small bar chart. */
interface Panel {
  title: string;
  better: "higher" | "lower";
  /** More about what the values are, after "lower/higher is better". */
  detail?: string;
  format: (value: number) => string;
  bars: Bar[];
}

const COLORS: Record<ContenderName, string> = {
  "hand-written": "#8a8f98",
  ceiling: "#c9ced6",
  "sse-middleware": "#2f6fde",
  "better-sse": "#e8833a",
  "express-sse": "#4aa564",
};

const SHORT_LABELS: Record<ContenderName, string> = {
  "hand-written": "hand-written",
  ceiling: "ceiling",
  "sse-middleware": "sse-middleware",
  "better-sse": "better-sse",
  "express-sse": "express-sse",
};

const PANEL_WIDTH = 470;
const BAR_HEIGHT = 18;
const BAR_GAP = 6;
const LABEL_WIDTH = 112;
const VALUE_WIDTH = 96;
const TITLE_HEIGHT = 34;
const MARGIN = 16;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A bar per contender, in the usual order. */
function contenderBars(values: Partial<Record<ContenderName, number>>): Bar[] {
  return CONTENDERS.map((contender) => ({ label: SHORT_LABELS[contender], color: COLORS[contender], value: values[contender] }));
}

/** The scale-out deployments: this library on Redis Streams, the pub/sub peers, the in-memory reference. */
function scaleOutPanel(runs: readonly ScaleOutRun[]): Panel {
  const bar = (contender: ScaleOutRun["contender"], label: string, color: string): Bar => ({
    label,
    color,
    value: runs.find((run) => run.contender === contender)?.eventsPerSecond,
  });
  const first = runs[0]!;
  const spread = Math.max(...runs.map((run) => run.instances));
  return {
    title: `Scale-out, ${count(first.clients)} clients over ${spread} instances: events/s`,
    better: "higher",
    detail: "through Redis; in memory on one instance for reference",
    format: count,
    bars: [
      bar("sse-middleware", "in memory, 1", "#9dbcf0"),
      bar("sse-middleware-redis", "sse-middleware", COLORS["sse-middleware"]),
      bar("hand-written-redis", "hand-written", COLORS["hand-written"]),
      bar("better-sse-redis", "better-sse", COLORS["better-sse"]),
    ],
  };
}

/** The targeted scenario at its most subscribers: to one user, to news, and how a publish to one user's cost grew. */
function targetedPanels(results: BenchResults): Panel[] {
  const sizes = sizesOf(results.targeted ?? []);
  const most = sizes.at(-1);
  if (most === undefined) return [];
  const bars = (value: (contender: ContenderName) => number | undefined): Bar[] =>
    TARGETED_CONTENDERS.map((contender) => ({ label: SHORT_LABELS[contender], color: COLORS[contender], value: value(contender) }));
  const list: Panel[] = [
    {
      title: `Targeted, ${count(most)} users: events/s to one user each`,
      better: "higher",
      detail: "each event reaches one connection",
      format: count,
      bars: bars((contender) => targetedOf(results, contender, most)?.toUserEventsPerSecond),
    },
    {
      title: `Targeted, ${count(most)} users: events/s to news`,
      better: "higher",
      detail: "every user follows it",
      format: count,
      bars: bars((contender) => targetedOf(results, contender, most)?.toNewsEventsPerSecond),
    },
  ];
  if (sizes.length > 1) {
    list.push({
      title: `CPU per publish to one user: ${count(most)} users ÷ ${count(sizes[0]!)}`,
      better: "lower",
      detail: "1× is flat",
      format: times,
      bars: bars((contender) => targetedGrowth(results, contender)),
    });
  }
  return list;
}

function panels(results: BenchResults): Panel[] {
  const list: Panel[] = [];
  for (const clients of sizesOf(results.fanout ?? [])) {
    const values: Partial<Record<ContenderName, number>> = {};
    for (const contender of CONTENDERS) {
      const run = fanoutOf(results, contender, clients);
      if (run !== undefined) values[contender] = run.eventsPerSecond;
    }
    list.push({ title: `Fan-out burst, ${count(clients)} streams: events/s`, better: "higher", format: count, bars: contenderBars(values) });
  }
  if (results.steady !== undefined) {
    const values: Partial<Record<ContenderName, number>> = {};
    for (const run of results.steady) values[run.contender] = run.p99Ms;
    list.push({ title: `Steady ${results.steady[0]?.perSecond ?? ""} events/s: p99 latency`, better: "lower", format: ms, bars: contenderBars(values) });
  }
  const memorySizes = sizesOf((results.memory ?? []).filter(wasMeasured));
  const largest = memorySizes.at(-1);
  if (largest !== undefined) {
    const values: Partial<Record<ContenderName, number>> = {};
    const smaller: ContenderName[] = [];
    for (const contender of CONTENDERS) {
      let run = memoryOf(results, contender, largest);
      if (run === undefined) {
        run = memoryOf(results, contender, memorySizes[0]!);
        if (run !== undefined) smaller.push(contender);
      }
      if (run !== undefined) values[contender] = run.jsPerStream;
    }
    const where = `at ${count(largest)} streams${smaller.length > 0 ? ` (${smaller.join(", ")}: at ${count(memorySizes[0]!)})` : ""}`;
    list.push({ title: "Memory per idle stream: heap + external", better: "lower", detail: where, format: bytes, bars: contenderBars(values) });
  }
  if (results["slow-reader"] !== undefined) {
    const held: Partial<Record<ContenderName, number>> = {};
    const kept: Partial<Record<ContenderName, number>> = {};
    for (const run of results["slow-reader"]) {
      held[run.contender] = Math.max(0, run.memoryGrowthBytes);
      kept[run.contender] = run.throughputRatio;
    }
    list.push({ title: "A stalled reader: server memory it holds", better: "lower", format: bytes, bars: contenderBars(held) });
    list.push({ title: "A stalled reader: fast clients' throughput kept", better: "higher", format: percent, bars: contenderBars(kept) });
  }
  if (results.churn !== undefined) {
    const values: Partial<Record<ContenderName, number>> = {};
    for (const run of results.churn) values[run.contender] = run.cyclesPerSecond;
    list.push({ title: "Churn: connects + disconnects/s", better: "higher", format: count, bars: contenderBars(values) });
  }
  const scaleOut = results["scale-out"];
  if (scaleOut !== undefined && scaleOut.length > 0) list.push(scaleOutPanel(scaleOut));
  list.push(...targetedPanels(results));
  return list;
}

function renderPanel(panel: Panel, x: number, y: number): string {
  const max = Math.max(...panel.bars.map((bar) => bar.value ?? 0), Number.MIN_VALUE);
  const barSpace = PANEL_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const parts = [
    `<text x="${x}" y="${y + 14}" class="title">${escapeXml(panel.title)}</text>`,
    `<text x="${x}" y="${y + 28}" class="note">${escapeXml([`${panel.better} is better`, panel.detail].filter(Boolean).join("; "))}</text>`,
  ];
  panel.bars.forEach(({ label, color, value }, i) => {
    const top = y + TITLE_HEIGHT + i * (BAR_HEIGHT + BAR_GAP);
    parts.push(`<text x="${x + LABEL_WIDTH - 8}" y="${top + 13}" class="label">${escapeXml(label)}</text>`);
    if (value === undefined) {
      parts.push(`<text x="${x + LABEL_WIDTH}" y="${top + 13}" class="value">not run</text>`);
      return;
    }
    const width = Math.max(1, (value / max) * barSpace);
    parts.push(`<rect x="${x + LABEL_WIDTH}" y="${top}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}" rx="2"/>`);
    parts.push(`<text x="${(x + LABEL_WIDTH + width + 6).toFixed(1)}" y="${top + 13}" class="value">${escapeXml(panel.format(value))}</text>`);
  });
  return parts.join("\n  ");
}

/**
 * Draws the run's headline figures as an SVG of small bar charts, one per
 * figure, two to a row. Plain SVG text, no library: every number drawn is
 * one that `results/*.json` holds.
 */
export function renderChart(results: BenchResults): string {
  const list = panels(results);
  const panelHeight = TITLE_HEIGHT + Math.max(0, ...list.map((panel) => panel.bars.length)) * (BAR_HEIGHT + BAR_GAP) + MARGIN;
  const rows = Math.ceil(list.length / 2);
  const width = MARGIN * 3 + PANEL_WIDTH * 2;
  const footer = 24;
  const height = MARGIN + rows * panelHeight + footer;
  const { meta } = results;
  const body = list.map((panel, i) => renderPanel(panel, MARGIN + (i % 2) * (PANEL_WIDTH + MARGIN), MARGIN + Math.floor(i / 2) * panelHeight));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">
  <style>
    .title { font-size: 13px; font-weight: 600; fill: #1f2328; }
    .note { font-size: 11px; fill: #656d76; }
    .label { font-size: 12px; fill: #1f2328; text-anchor: end; }
    .value { font-size: 11px; fill: #1f2328; }
  </style>
  <rect width="100%" height="100%" fill="#ffffff"/>
  ${body.join("\n  ")}
  <text x="${MARGIN}" y="${height - 8}" class="note">${escapeXml(`sse-middleware bench, commit ${meta.commit}, ${meta.date.slice(0, 10)}: Node ${meta.node}, ${meta.cpus} cores, loopback, server and load generators in separate processes`)}</text>
</svg>
`;
}
