// The demo's metrics, as Prometheus scrapes them from GET /metrics and as an
// OpenTelemetry exporter receives them, after streams were used for real.
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { openEventStream } from "sse-middleware/testing";
import { observeWithOpenTelemetry, totalStats } from "../src/metrics.js";
import { demoPerTest, type DemoServer } from "./demo-server.js";
import { post } from "./notification-pages.js";

const startDemo = demoPerTest();

/** Uses the demo as its pages would, and returns what every stream saw. */
async function useTheDemo(demo: DemoServer) {
  // The blog's stream: two ticks, then the server ends it.
  const clock = await openEventStream(demo.server, "/sse");
  const ticks = [];
  for await (const event of clock.events) ticks.push(event);
  expect(ticks.map((event) => event.id)).toEqual(["1", "2"]);
  // An endless stream the client leaves after its first tick.
  const endless = await openEventStream(demo.server, "/streams/ticks");
  expect(await endless.next()).toMatchObject({ id: "1", data: "1" });
  await endless.close();
  await expect.poll(() => totalStats(demo.sources.streams).closed.client).toBe(1);
  // A page that gets a notification live, and one that resumes from an id the channel never gave.
  const page = await openEventStream(demo.server, "/notifications/stream");
  expect((await post(demo.url, "deployed")).status).toBe(201);
  expect(await page.next()).toMatchObject({ event: "notification", id: "1" });
  const lost = await openEventStream(demo.server, "/notifications/stream", { headers: { "Last-Event-ID": "0" } });
  expect((await lost.take(2)).map((event) => event.event)).toEqual(["reset", "notification"]);
  return { close: () => Promise.all([clock, page, lost].map((stream) => stream.close())) };
}

/** `name{labels} value` lines of the Prometheus text format, as a map. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe("the demo's metrics", () => {
  it("serves GET /metrics in the Prometheus text format, with every stream and channel counter as stats() has it", async () => {
    const demo = await startDemo({ ticks: 2, intervalMs: 1000 });
    const used = await useTheDemo(demo);
    const response = await fetch(`${demo.url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain("# TYPE sse_streams_closed_total counter");
    expect(text).toContain("# TYPE sse_streams_open gauge");
    const stats = totalStats(demo.sources.streams);
    expect(Object.fromEntries(parsePrometheus(text))).toEqual({
      sse_streams_open: 2,
      sse_streams_opened_total: 4,
      'sse_streams_closed_total{reason="client"}': 1,
      'sse_streams_closed_total{reason="server"}': 1,
      'sse_streams_closed_total{reason="slowClient"}': 0,
      'sse_streams_closed_total{reason="maxAge"}': 0,
      'sse_streams_closed_total{reason="shutdown"}': 0,
      sse_streams_refused_total: 0,
      // Two clock ticks, one endless tick, one live notification, a reset and a replayed one.
      sse_events_sent_total: 6,
      sse_bytes_sent_total: stats.bytesSent,
      sse_heartbeats_total: 0,
      'sse_channel_subscribers{channel="notifications"}': 2,
      'sse_channel_published_total{channel="notifications"}': 1,
      'sse_channel_replayed_total{channel="notifications"}': 1,
      'sse_channel_resets_total{channel="notifications"}': 1,
    });
    expect(stats.bytesSent).toBeGreaterThan(0);
    await used.close();
  });

  it("gives the same numbers to OpenTelemetry's observable instruments, as its in-memory exporter sees them", async () => {
    const demo = await startDemo({ ticks: 2, intervalMs: 1000 });
    const used = await useTheDemo(demo);
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // Exports when flushed, not on a timer.
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    try {
      observeWithOpenTelemetry(provider.getMeter("sse-middleware-demo"), demo.sources);
      await reader.forceFlush();
      const points = new Map<string, number>();
      for (const { scopeMetrics } of exporter.getMetrics()) {
        for (const { metrics } of scopeMetrics) {
          for (const { descriptor, dataPoints } of metrics) {
            for (const point of dataPoints) {
              const labels = Object.entries(point.attributes).map(([name, value]) => `${name}=${String(value)}`);
              points.set(labels.length === 0 ? descriptor.name : `${descriptor.name}{${labels.join(",")}}`, point.value as number);
            }
          }
        }
      }
      expect(Object.fromEntries(points)).toEqual({
        "sse.streams.open": 2,
        "sse.streams.opened": 4,
        "sse.streams.closed{reason=client}": 1,
        "sse.streams.closed{reason=server}": 1,
        "sse.streams.closed{reason=slowClient}": 0,
        "sse.streams.closed{reason=maxAge}": 0,
        "sse.streams.closed{reason=shutdown}": 0,
        "sse.streams.refused": 0,
        "sse.events.sent": 6,
        "sse.bytes.sent": totalStats(demo.sources.streams).bytesSent,
        "sse.heartbeats": 0,
        "sse.channel.subscribers{channel=notifications}": 2,
        "sse.channel.published{channel=notifications}": 1,
        "sse.channel.replayed{channel=notifications}": 1,
        "sse.channel.resets{channel=notifications}": 1,
      });
    } finally {
      await provider.shutdown();
      await used.close();
    }
  });
});
