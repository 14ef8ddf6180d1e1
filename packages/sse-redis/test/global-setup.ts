// One real redis-server for every test file of this project; each test uses
// a stream key of its own. The fault tests start servers of their own, which
// they stop and restart.
import type { TestProject } from "vitest/node";
import { startRedisServer } from "sse-testkit/redis-server";

declare module "vitest" {
  export interface ProvidedContext {
    /** The URL of the shared test redis-server. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer();
  project.provide("redisUrl", server.url);
  return () => server.remove();
}
