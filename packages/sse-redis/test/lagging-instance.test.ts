// An instance that falls behind the stream's window (its event loop busy
// while another instance publishes past maxLen) cannot send what was
// trimmed: it tells its clients with `event: reset`, as a reconnecting
// client is told, instead of jumping over the gap in silence.
import { spawn } from "node:child_process";
import diagnostics from "node:diagnostics_channel";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { ChannelResetMessage } from "sse-middleware";
import { compareStreamIds } from "../src/stream-id.js";
import { connect, startInstance, uniqueStream, useRedisClient, type Instance } from "./instances.js";

const redisUrl = inject("redisUrl");
const redis = useRedisClient(redisUrl);
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

/**
 * Another instance, in a process of its own: it publishes `count` events
 * as `createRedisChannel({ maxLen })` does (XADD … MAXLEN ~ maxLen), then
 * creates `marker`.
 */
const PUBLISHER = `
import { writeFileSync } from "node:fs";
import { createClient } from "redis";
const [url, key, count, maxLen, marker, lastForBob] = process.argv.slice(1);
const client = createClient({ url });
await client.connect();
for (let n = 1; n <= Number(count); n += 1) {
  const fields = { data: "e" + n };
  // With lastForBob: every entry is alice's, except the last lastForBob, bob's.
  if (lastForBob !== undefined) fields.topics = JSON.stringify([n > Number(count) - Number(lastForBob) ? "user:bob" : "user:alice"]);
  await client.xAdd(key, "*", fields, { TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: Number(maxLen) } });
}
await client.close();
writeFileSync(marker, "done");
`;

let instances: Instance[] = [];
afterEach(async () => {
  await Promise.all(instances.map((instance) => instance.close()));
  instances = [];
});

/**
 * Keeps this process's event loop busy (nothing else runs: not the read
 * loop, not the HTTP server) until `marker` exists, as a long synchronous
 * task or a stalled VM would.
 */
function blockUntilExists(marker: string, boundMs: number): void {
  const deadline = Date.now() + boundMs;
  while (!existsSync(marker)) {
    if (Date.now() > deadline) throw new Error(`${marker} did not appear within ${boundMs} ms`);
  }
}

/** Another process publishes 1,000 entries with maxLen 10 while this one's event loop is blocked. */
async function publishWhileBlocked(stream: string, ...extra: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sse-redis-lag-"));
  const marker = join(dir, "published");
  try {
    const publisher = spawn(
      process.execPath,
      ["--input-type=module", "-e", PUBLISHER, redisUrl, stream, "1000", "10", marker, ...extra],
      { cwd: PACKAGE_DIR, stdio: ["ignore", "inherit", "inherit"] },
    );
    blockUntilExists(marker, 60_000);
    await new Promise((resolve) => publisher.once("exit", resolve));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("an instance that falls behind the stream's window", () => {
  it("sends its live clients `reset` (data: the oldest id kept), then every event after the gap, in order", async () => {
    const stream = uniqueStream();
    const a = await startInstance(redisUrl, stream, { maxLen: 10 });
    instances.push(a);
    const client = await connect(a);
    const first = await a.channel.publish("e0");
    await client.waitFor(() => client.events.some((event) => event.id === first));

    // One more client, resuming from e0 just now: its replay is under way
    // (or just done) when the loop stalls.
    const resuming = await connect(a, first);
    const resets: ChannelResetMessage[] = [];
    const onReset = (message: unknown): void => void resets.push(message as ChannelResetMessage);
    diagnostics.subscribe("sse-middleware:channel:reset", onReset);

    await publishWhileBlocked(stream);

    for (const each of [client, resuming]) await each.waitFor(() => each.events.some((event) => event.data === "e1000"));
    diagnostics.unsubscribe("sse-middleware:channel:reset", onReset);
    const kept = (await redis.xRange(stream, "-", "+")) ?? [];
    expect(kept[0]!.id).not.toBe(first); // e0 and many after it were trimmed
    const [before, reset, ...after] = client.events;
    expect(before).toMatchObject({ id: first, data: "e0" });
    expect(reset).toMatchObject({ event: "reset", data: kept[0]!.id });
    expect(reset!.id).toBeUndefined();
    // Everything the stream kept, from its oldest entry on: nothing skipped
    // after the reset, nothing twice.
    expect(after.map((event) => [event.id, event.data])).toEqual(kept.map((entry) => [entry.id, entry.message.data]));
    for (let n = 1; n < after.length; n += 1) expect(compareStreamIds(after[n - 1]!.id!, after[n]!.id!)).toBeLessThan(0);
    // The client that resumed just before the stall gets the same.
    expect(resuming.events.map((event) => [event.event, event.id, event.data])).toEqual([
      ["reset", undefined, kept[0]!.id],
      ...kept.map((entry) => [undefined, entry.id, entry.message.data]),
    ]);
    // Counted once per live subscriber; told once, with how many were told.
    expect(a.channel.stats()).toMatchObject({ subscribers: 2, resets: 2 });
    expect(resets.filter((message) => message.channel === a.channel)).toEqual([
      { cause: "gap", channel: a.channel, subscribers: 2 },
    ]);
    client.destroy();
    resuming.destroy();
  });

  it("names in its reset only an event meant for the client: never another user's", async () => {
    const stream = uniqueStream();
    const a = await startInstance(redisUrl, stream, { maxLen: 10, subscribe: { topics: ["user:bob"] } });
    instances.push(a);
    const bob = await connect(a);
    const first = await a.channel.publish("e0", { topics: ["user:bob"] });
    await bob.waitFor(() => bob.events.some((event) => event.id === first));

    await publishWhileBlocked(stream, "5");

    await bob.waitFor(() => bob.events.some((event) => event.data === "e1000"));
    const kept = (await redis.xRange(stream, "-", "+")) ?? [];
    const keptForBob = kept.filter((entry) => entry.message.topics === '["user:bob"]');
    // The oldest entry kept is alice's: the reset must not name it.
    expect(kept[0]!.message.topics).toBe('["user:alice"]');
    expect(bob.events.map((event) => [event.event, event.id, event.data])).toEqual([
      [undefined, first, "e0"],
      ["reset", undefined, keptForBob[0]!.id],
      ...keptForBob.map((entry) => [undefined, entry.id, entry.message.data]),
    ]);
    for (const entry of kept) if (!keptForBob.includes(entry)) expect(bob.text()).not.toContain(entry.id);
    bob.destroy();
  });
});
