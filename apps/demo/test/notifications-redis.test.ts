// `REDIS_URL=… pnpm dev` on two ports: two instances of the demo serve one
// inbox through a Redis stream, against a real redis-server.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisNotificationChannel } from "../src/redis-notifications.js";
import { startRedisServer, type RedisServer } from "sse-testkit/redis-server";
import { startDemo } from "./demo-server.js";
import { catchesUpOnItsOwnAfterReconnecting, routesEachNoteToItsUser, startsFreshWithoutLastEventId } from "./inbox-scenarios.js";
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
  const channel = await createRedisNotificationChannel(redis.url, stream);
  const demo = await startDemo({ intervalMs: 10, notifications: channel });
  return {
    url: demo.url,
    async close() {
      await channel.close();
      await demo.stop();
    },
  };
}

/** Runs a scenario on two instances of the demo sharing a fresh stream, and closes them after. */
async function onTwoInstances(scenario: (urls: readonly [string, string]) => Promise<void>): Promise<void> {
  const stream = `sse-demo-test:${randomUUID()}`;
  const [a, b] = await Promise.all([startInstance(stream), startInstance(stream)]);
  try {
    await scenario([a.url, b.url]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

describe("the demo's inbox on Redis, across two instances", () => {
  it("shows a message posted to one instance on the pages of both, with Redis's ids", async () => {
    await onTwoInstances(async ([a, b]) => {
      const pages = [openPage(a), openPage(b)];
      await Promise.all(pages.map((page) => page.opened));
      const response = await post(a, "posted on A");
      expect(response.status).toBe(201);
      expect(((await response.json()) as { id: string }).id).toMatch(/^\d+-\d+$/);
      await post(b, "posted on B");
      for (const page of pages) {
        await page.waitForCount(2);
        expect(page.texts).toEqual(["posted on A", "posted on B"]);
        page.close();
      }
    });
  });

  it("gives each user news, everyone's messages and their own notes, never another's", async () => {
    await onTwoInstances(routesEachNoteToItsUser);
  });

  it("replays to a page that reconnects to the other instance exactly the missed events meant for it", async () => {
    await onTwoInstances(catchesUpOnItsOwnAfterReconnecting);
  });

  it("starts a page that comes without Last-Event-ID from now, not from notes sent before", async () => {
    await onTwoInstances(startsFreshWithoutLastEventId);
  });
});
