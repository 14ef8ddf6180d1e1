/**
 * The demo's metrics: every number comes from `stats()` of its `sse()`
 * instances and channels, read when a scrape (or an OpenTelemetry reader)
 * asks, so serving events costs nothing more than the library's own
 * counting. Prometheus through prom-client for `GET /metrics`, and the same
 * numbers as OpenTelemetry observable instruments.
 */
import type { Meter } from "@opentelemetry/api";
import { Counter, Gauge, Registry } from "prom-client";
import type { ChannelStats, CloseReason, SseMiddleware, SseStats } from "sse-middleware";

/** What the metrics read: the app's `sse()` instances (summed) and its channels (by name). */
export interface SseSources {
  readonly streams: readonly SseMiddleware[];
  readonly channels: Readonly<Record<string, { stats(): ChannelStats }>>;
}

const REASONS: readonly CloseReason[] = ["client", "server", "slowClient", "maxAge", "shutdown"];

/** The streams' stats of every instance, added up. */
export function totalStats(streams: readonly SseMiddleware[]): SseStats {
  const total: SseStats = {
    open: 0,
    opened: 0,
    closed: { client: 0, server: 0, slowClient: 0, maxAge: 0, shutdown: 0 },
    refused: 0,
    eventsSent: 0,
    bytesSent: 0,
    heartbeats: 0,
  };
  for (const middleware of streams) {
    const stats = middleware.stats();
    total.open += stats.open;
    total.opened += stats.opened;
    total.refused += stats.refused;
    total.eventsSent += stats.eventsSent;
    total.bytesSent += stats.bytesSent;
    total.heartbeats += stats.heartbeats;
    for (const reason of REASONS) total.closed[reason] += stats.closed[reason];
  }
  return total;
}

type StreamCounter = Exclude<keyof SseStats, "open" | "closed">;
const STREAM_COUNTERS: readonly [name: string, help: string, key: StreamCounter][] = [
  ["sse_streams_opened_total", "Event streams opened.", "opened"],
  ["sse_streams_refused_total", "Event stream requests refused over maxConnections (503).", "refused"],
  ["sse_events_sent_total", "Events written to event streams.", "eventsSent"],
  ["sse_bytes_sent_total", "Bytes of event stream written.", "bytesSent"],
  ["sse_heartbeats_total", "Heartbeat comments written.", "heartbeats"],
];

type ChannelCounter = Exclude<keyof ChannelStats, "subscribers">;
const CHANNEL_COUNTERS: readonly [name: string, help: string, key: ChannelCounter][] = [
  ["sse_channel_published_total", "Events a channel took for its subscribers.", "published"],
  ["sse_channel_replayed_total", "Events a channel replayed to resuming clients.", "replayed"],
  ["sse_channel_resets_total", "Reset notices a channel sent to clients that missed events.", "resets"],
];

/**
 * A prom-client registry holding the SSE metrics of `sources`, read from
 * `stats()` at each scrape. Counters are set to the totals, which only grow,
 * so Prometheus sees them as counters.
 */
export function prometheusRegistry({ streams, channels }: SseSources): Registry {
  const registry = new Registry();
  new Gauge({
    name: "sse_streams_open",
    help: "Event streams open now.",
    registers: [registry],
    collect() {
      this.set(totalStats(streams).open);
    },
  });
  for (const [name, help, key] of STREAM_COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(totalStats(streams)[key]);
      },
    });
  }
  new Counter({
    name: "sse_streams_closed_total",
    help: "Event streams ended, by reason: client, server, slowClient, maxAge, shutdown.",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      const { closed } = totalStats(streams);
      this.reset();
      for (const reason of REASONS) this.inc({ reason }, closed[reason]);
    },
  });
  new Gauge({
    name: "sse_channel_subscribers",
    help: "Subscribers of a channel now.",
    labelNames: ["channel"],
    registers: [registry],
    collect() {
      for (const [channel, source] of Object.entries(channels)) this.set({ channel }, source.stats().subscribers);
    },
  });
  for (const [name, help, key] of CHANNEL_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ["channel"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [channel, source] of Object.entries(channels)) this.inc({ channel }, source.stats()[key]);
      },
    });
  }
  return registry;
}

/**
 * The same numbers as OpenTelemetry observable instruments on `meter`
 * (`sse.streams.open`, `sse.streams.closed{reason}`, `sse.channel.published{channel}`, …),
 * read once per collection.
 */
export function observeWithOpenTelemetry(meter: Meter, { streams, channels }: SseSources): void {
  const open = meter.createObservableUpDownCounter("sse.streams.open", { description: "Event streams open now." });
  const opened = meter.createObservableCounter("sse.streams.opened", { description: "Event streams opened." });
  const closed = meter.createObservableCounter("sse.streams.closed", { description: "Event streams ended, by reason." });
  const refused = meter.createObservableCounter("sse.streams.refused", { description: "Requests refused over maxConnections." });
  const events = meter.createObservableCounter("sse.events.sent", { description: "Events written to event streams." });
  const bytes = meter.createObservableCounter("sse.bytes.sent", { description: "Bytes of event stream written.", unit: "By" });
  const heartbeats = meter.createObservableCounter("sse.heartbeats", { description: "Heartbeat comments written." });
  const subscribers = meter.createObservableUpDownCounter("sse.channel.subscribers", { description: "Subscribers of a channel now." });
  const published = meter.createObservableCounter("sse.channel.published", { description: "Events a channel took." });
  const replayed = meter.createObservableCounter("sse.channel.replayed", { description: "Events replayed to resuming clients." });
  const resets = meter.createObservableCounter("sse.channel.resets", { description: "Reset notices sent." });
  meter.addBatchObservableCallback(
    (result) => {
      const stats = totalStats(streams);
      result.observe(open, stats.open);
      result.observe(opened, stats.opened);
      for (const reason of REASONS) result.observe(closed, stats.closed[reason], { reason });
      result.observe(refused, stats.refused);
      result.observe(events, stats.eventsSent);
      result.observe(bytes, stats.bytesSent);
      result.observe(heartbeats, stats.heartbeats);
      for (const [channel, source] of Object.entries(channels)) {
        const channelStats = source.stats();
        result.observe(subscribers, channelStats.subscribers, { channel });
        result.observe(published, channelStats.published, { channel });
        result.observe(replayed, channelStats.replayed, { channel });
        result.observe(resets, channelStats.resets, { channel });
      }
    },
    [open, opened, closed, refused, events, bytes, heartbeats, subscribers, published, replayed, resets],
  );
}
