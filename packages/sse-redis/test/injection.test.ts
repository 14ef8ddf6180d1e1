// The injection matrix through the Redis channel: what a publisher, another
// program writing to the stream, or a hostile client sends never puts an
// event on the wire that nobody sent.
import { afterEach, describe, expect, inject, it } from "vitest";
import { connect, startInstance, uniqueStream, type Instance, useRedisClient } from "./instances.js";
import { requestWithRawLastEventId } from "sse-testkit/http";
import { BREAKS, forged } from "sse-testkit/injection-cases";

const redisUrl = inject("redisUrl");
const redis = useRedisClient(redisUrl);

let instance: Instance | undefined;
afterEach(async () => {
  await instance?.close();
  instance = undefined;
});

async function sentinel(stream: string): Promise<string> {
  return redis.xAdd(stream, "*", { event: "end", data: "sentinel" });
}

describe("the Redis channel against forged fields", () => {
  for (const [name, brk] of BREAKS) {
    it(`publish() rejects an event name with ${name} before anything reaches Redis`, async () => {
      const stream = uniqueStream();
      instance = await startInstance(redisUrl, stream);
      if (brk === "\0") {
        // NUL is allowed in an event name by the format; it arrives as that one name.
        await instance.channel.publish("d", { event: `a${brk}b` });
      } else {
        await expect(instance.channel.publish("d", { event: forged(brk) })).rejects.toThrow(TypeError);
      }
      expect(await redis.xLen(stream)).toBe(brk === "\0" ? 1 : 0);
    });

    it(`publish() sends data with ${name} as data lines of one event`, async () => {
      const stream = uniqueStream();
      instance = await startInstance(redisUrl, stream);
      const client = await connect(instance);
      await instance.channel.publish(forged(brk));
      await instance.channel.publish({ forged: forged(brk) });
      await sentinel(stream);
      await client.waitFor(() => client.events.some((e) => e.event === "end"));
      expect(client.events.map((e) => e.event ?? "message")).toEqual(["message", "message", "end"]);
      expect(client.events.map((e) => e.id)).not.toContain("666");
      expect(JSON.parse(client.events[1]!.data)).toEqual({ forged: forged(brk) });
      client.destroy();
    });

    it(`an entry another program wrote with ${name} in its event name is skipped, not forged`, async () => {
      const stream = uniqueStream();
      instance = await startInstance(redisUrl, stream);
      const client = await connect(instance);
      await redis.xAdd(stream, "*", { event: forged(brk), data: "from elsewhere" });
      await sentinel(stream);
      await client.waitFor(() => client.events.some((e) => e.event === "end"));
      const names = client.events.map((e) => e.event ?? "message");
      expect(names).not.toContain("admin");
      expect(client.events.map((e) => e.id)).not.toContain("666");
      if (brk === "\0") expect(names).toEqual([forged(brk), "end"]);
      else expect(names).toEqual(["end"]);
      client.destroy();
    });
  }
});

describe("the Redis channel against a hostile Last-Event-ID", () => {
  it.each([
    ["latin1 bytes that are not UTF-8", Buffer.from([0xff, 0xfe, 0x2d, 0x30])],
    ["over 1 KB", Buffer.from(`1-${"0".repeat(1100)}`)],
    ["a control character", Buffer.from("1-\x01")],
    ["an id that is no stream id", Buffer.from("$")],
    ["an id that looks right but was never issued", Buffer.from("99999999999999-7")],
  ])("with %s is never echoed, and forges nothing", async (_name, value) => {
    const stream = uniqueStream();
    instance = await startInstance(redisUrl, stream);
    await instance.channel.publish("kept");
    const response = await requestWithRawLastEventId(instance.url, value, { cutAfterHeadersMs: 100 });
    expect(response).toMatch(/^HTTP\/1\.1 (200|400)/);
    const body = response.slice(response.indexOf("\r\n\r\n") + 4);
    expect(body).not.toContain(value.toString("latin1"));
    expect(body).not.toContain("admin");
  });
});
