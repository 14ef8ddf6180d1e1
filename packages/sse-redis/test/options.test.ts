import net from "node:net";
import { createClient } from "redis";
import { describe, expect, inject, it } from "vitest";
import { createRedisChannel, type RedisChannelOptions } from "sse-middleware-redis";
import { uniqueStream } from "./instances.js";

const redisUrl = inject("redisUrl");

function create(options: unknown): Promise<unknown> {
  return createRedisChannel(options as RedisChannelOptions);
}

describe("createRedisChannel options", () => {
  it("rejects a bad URL with a TypeError naming it", async () => {
    const stream = "s";
    await expect(create({ stream })).rejects.toThrow(/url must be a redis:\/\/ or rediss:\/\/ URL, got undefined/);
    await expect(create({ url: "", stream })).rejects.toThrow(TypeError);
    await expect(create({ url: 6379, stream })).rejects.toThrow(/got 6379/);
    await expect(create({ url: "localhost:6379", stream })).rejects.toThrow(/got "localhost:6379"/);
    await expect(create({ url: "http://localhost:6379", stream })).rejects.toThrow(TypeError);
    await expect(create({ url: "not a url", stream })).rejects.toThrow(TypeError);
  });

  it("never shows the password of a URL in its messages", async () => {
    await expect(create({ url: "http://user:hunter2@localhost", stream: "s" })).rejects.toThrow(
      /got "http:\/\/\*\*\*@localhost"/,
    );
    const error = await create({ url: "redis://:hunter2@127.0.0.1:1", stream: "s", connectTimeout: 200 }).catch(
      (caught: unknown) => caught,
    );
    expect(String(error)).not.toContain("hunter2");
  });

  it("rejects a bad stream name with a TypeError", async () => {
    await expect(create({ url: redisUrl })).rejects.toThrow(/stream must be a non-empty string \(the stream's key\), got undefined/);
    await expect(create({ url: redisUrl, stream: "" })).rejects.toThrow(/got ""/);
    await expect(create({ url: redisUrl, stream: 7 })).rejects.toThrow(TypeError);
  });

  it("rejects a stream name with a lone surrogate: Redis would store it as U+FFFD, so two such names would share one stream", async () => {
    const base = uniqueStream();
    for (const stream of [`${base}\ud800`, `${base}\udc00`, `\udfff${base}`]) {
      await expect(create({ url: redisUrl, stream }), JSON.stringify(stream)).rejects.toThrow(
        /stream must be well-formed Unicode \(no lone surrogate\)/,
      );
    }
    // A pair is one character, and fine.
    const channel = (await create({ url: redisUrl, stream: `${base}\ud83d\ude00` })) as { close(): Promise<void> };
    await channel.close();
  });

  it("rejects a bad maxLen or connectTimeout, and unknown options, with a TypeError", async () => {
    const base = { url: redisUrl, stream: "s" };
    for (const maxLen of [0, -1, 1.5, "10", NaN, Infinity, null]) {
      await expect(create({ ...base, maxLen }), String(maxLen)).rejects.toThrow(/maxLen must be a positive integer of events/);
    }
    for (const connectTimeout of [0, -5, 2 ** 31, "1000"]) {
      await expect(create({ ...base, connectTimeout })).rejects.toThrow(/connectTimeout must be an integer/);
    }
    await expect(create({ ...base, maxlen: 10 })).rejects.toThrow(/option "maxlen" is unknown/);
    await expect(create(null)).rejects.toThrow(/options must be an object, got null/);
    await expect(create("redis://localhost")).rejects.toThrow(TypeError);
  });
});

describe("createRedisChannel connecting", () => {
  it("rejects with an Error naming the server when nothing listens there", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const error = await create({ url: `redis://127.0.0.1:${port}`, stream: "s" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(new RegExp(`^Cannot connect to Redis at redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it("rejects after connectTimeout, instead of hanging, when the server never answers", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      await expect(create({ url: `redis://127.0.0.1:${port}`, stream: "s", connectTimeout: 200 })).rejects.toThrow(
        /^Cannot connect to Redis at .*: no answer within 200 ms/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("rejects when the key holds something other than a stream", async () => {
    const stream = uniqueStream();
    const redis = createClient({ url: redisUrl });
    await redis.connect();
    try {
      await redis.set(stream, "a string");
      await expect(create({ url: redisUrl, stream })).rejects.toThrow(/^Cannot read Redis stream ".*": WRONGTYPE/);
    } finally {
      await redis.del(stream);
      await redis.close();
    }
  });
});
