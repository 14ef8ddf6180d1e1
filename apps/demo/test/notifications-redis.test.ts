// `REDIS_URL=… pnpm dev` on two ports: two instances of the demo serve one
// notifications page through a Redis stream, against a real redis-server.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisChannel, type RedisChannel } from "sse-middleware-redis";
import { startRedisServer, type RedisServer } from "../../../packages/sse-redis/test/redis-server.js";
import { startDemo } from "./demo-server.js";
import { openPage, post } from "./notification-pages.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.remove();
});

/** One instance of the demo with its notifications on the shared stream. */
async function startInstance(stream: string): Promise<{ url: string; close(): Promise<void> }> {
  const channel: RedisChannel = await createRedisChannel({ url: redis.url, stream, maxLen: 100 });
  const demo = await startDemo({ intervalMs: 10, notifications: channel });
  return {
    url: demo.url,
    async close() {
      await channel.close();
      await demo.stop();
    },
  };
}

describe("the demo's notifications on Redis", () => {
  it("shows a message posted to one instance on the pages of both, and a page catches up on the other", async () => {
    const stream = `sse-demo-test:${randomUUID()}`;
    const [a, b] = await Promise.all([startInstance(stream), startInstance(stream)]);
    try {
      const pages = [openPage(a.url), openPage(b.url)];
      await Promise.all(pages.map((page) => page.opened));
      const response = await post(a.url, "posted on A");
      expect(response.status).toBe(201);
      expect(((await response.json()) as { id: string }).id).toMatch(/^\d+-\d+$/);
      await post(b.url, "posted on B");
      for (const page of pages) {
        await page.waitForCount(2);
        expect(page.texts).toEqual(["posted on A", "posted on B"]);
      }

      pages[0]!.close(); // offline; it comes back to the other instance
      await post(a.url, "while away");
      const back = openPage(b.url, pages[0]!.lastId());
      await back.waitForCount(1);
      expect(back.texts).toEqual(["while away"]);
      back.close();
      pages[1]!.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
