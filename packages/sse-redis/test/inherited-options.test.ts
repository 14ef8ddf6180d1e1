// Options are a plain object's own keys, here as in the core: an inherited
// key (an app's prototype, or a polluted Object.prototype) is never read.
import { afterEach, describe, expect, inject, it } from "vitest";
import { createRedisChannel, type RedisChannelOptions } from "sse-middleware-redis";
import { connect, startInstance, uniqueStream, type Instance } from "./instances.js";

const redisUrl = inject("redisUrl");

let instance: Instance | undefined;
afterEach(async () => {
  await instance?.close();
  instance = undefined;
});

/** Runs `body` with `key` set on Object.prototype, as a prototype pollution elsewhere would leave it. */
async function polluted<T>(key: string, value: unknown, body: () => Promise<T>): Promise<T> {
  Object.defineProperty(Object.prototype, key, { value, enumerable: true, configurable: true, writable: true });
  try {
    return await body();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

describe("createRedisChannel options", () => {
  it("are its own keys: inherited url and stream are missing", async () => {
    const inherited = Object.create({ url: redisUrl, stream: uniqueStream() }) as RedisChannelOptions;
    await expect(createRedisChannel(inherited)).rejects.toThrow(/url must be a redis:\/\/ or rediss:\/\/ URL, got undefined/);
  });
});

describe("publish on a polluted Object.prototype", () => {
  it("is neither refused for an inherited id nor targeted at inherited topics, and its entries are read as written", async () => {
    instance = await startInstance(redisUrl, uniqueStream());
    const client = await connect(instance);
    await polluted("id", "1-1", async () => {
      await instance!.channel.publish("not refused");
      await client.waitFor((text) => text.includes("not refused"));
    });
    // Written and read back (by the read loop) while the pollution lasts.
    await polluted("topics", '["user:alice"]', async () => {
      await instance!.channel.publish("for everyone");
      await client.waitFor((text) => text.includes("for everyone"));
    });
    await polluted("encoding", "json", async () => {
      await instance!.channel.publish("{not json");
      await instance!.channel.publish("[1]");
      await client.waitFor((text) => text.includes("[1]"));
    });
    expect(client.events.map((event) => event.data)).toEqual(["not refused", "for everyone", "{not json", "[1]"]);
  });
});
