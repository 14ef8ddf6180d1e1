// One connection subscribed to many channels (one per feed, say) is a
// normal use: each channel watches the stream's signal, and that must not
// read as a leak in the process's warnings.
import { afterEach, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { Arrivals, listen, withSse, type TestServer } from "sse-testkit/http";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it("subscribes one stream to 50 channels with no MaxListenersExceededWarning, and each delivers", async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on("warning", onWarning);
  try {
    const channels = Array.from({ length: 50 }, () => createChannel());
    const arrivals = new Arrivals<SseController>();
    server = await listen(
      withSse(sse({ keepAlive: false }), (_req, res) => {
        res.sse.signal.addEventListener("abort", () => {});
        for (const channel of channels) channel.subscribe(res.sse);
        arrivals.push(res.sse);
      }),
    );
    const client = await server.request("/");
    await arrivals.atLeast(1);
    channels.forEach((channel, n) => channel.publish(`from ${n}`));
    await client.waitFor((text) => text.includes("from 49"));
    expect(client.events).toHaveLength(50);
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((warning) => warning.name)).not.toContain("MaxListenersExceededWarning");
    client.destroy();
    await expect.poll(() => channels.every((channel) => channel.size === 0)).toBe(true);
  } finally {
    process.off("warning", onWarning);
  }
});
