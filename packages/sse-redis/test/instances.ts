/**
 * App instances for the tests: each an Express server in this process with
 * its own createRedisChannel on a shared stream, as separate deployments
 * behind a load balancer would be.
 */
import { randomUUID } from "node:crypto";
import express from "express";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import { sse, type SseController, type SseOptions, type SubscribeOptions } from "sse-middleware";
import { openEventStream, type EventStream, type ServerSentEvent } from "sse-middleware/testing";
import { createRedisChannel, type RedisChannel, type RedisChannelOptions } from "sse-middleware-redis";
import { Arrivals, listen, request, type RawStream, type TestServer } from "sse-testkit/http";

export interface Instance {
  readonly channel: RedisChannel;
  /** The stream endpoint: `GET` subscribes to the channel. */
  readonly url: string;
  /** The HTTP server, listening. */
  readonly server: TestServer["server"];
  /** Server-side controllers, in the order clients subscribed. */
  readonly controllers: SseController[];
  /** Resolves once `count` clients have subscribed to this instance in total. */
  subscribed(count: number): Promise<void>;
  /** Closes the channel, then the HTTP server. */
  close(): Promise<void>;
}

export interface InstanceOptions {
  maxLen?: number;
  sse?: SseOptions;
  subscribe?: SubscribeOptions;
}

/** A stream key no other test uses. */
export function uniqueStream(): string {
  return `sse-redis-test:${randomUUID()}`;
}

export async function startInstance(
  redisUrl: string,
  stream: string,
  { maxLen, sse: sseOptions = { keepAlive: false }, subscribe = {} }: InstanceOptions = {},
): Promise<Instance> {
  const channelOptions: RedisChannelOptions = { url: redisUrl, stream, ...(maxLen === undefined ? {} : { maxLen }) };
  const channel = await createRedisChannel(channelOptions);
  const arrivals = new Arrivals<SseController>();
  const app = express();
  app.get("/events", sse(sseOptions), (_req, res) => {
    channel.subscribe(res.sse, subscribe);
    arrivals.push(res.sse);
  });
  let server: TestServer;
  try {
    server = await listen(app);
  } catch (error) {
    await channel.close();
    throw error;
  }
  return {
    channel,
    url: `${server.url}/events`,
    server: server.server,
    controllers: arrivals.items,
    subscribed: (count) => arrivals.atLeast(count),
    async close() {
      await channel.close();
      await server.close();
    },
  };
}

/** Connects a client to an instance and waits until the instance has subscribed it. */
export async function connect(instance: Instance, lastEventId?: string): Promise<RawStream> {
  const before = instance.controllers.length;
  const headers: Record<string, string> = lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId };
  const client = await request(instance.url, { headers });
  await instance.subscribed(before + 1);
  return client;
}

// The longest wait for an event: Redis round trips on a loaded machine, inside the project's 20 s per test.
const WAIT_MS = 15_000;

/**
 * Opens a client on an instance with sse-middleware/testing's client, which
 * reads events as a browser does, and waits until the instance has subscribed it.
 */
export async function openClient(instance: Instance, lastEventId?: string): Promise<EventStream> {
  const before = instance.controllers.length;
  const headers: Record<string, string> = lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId };
  const client = await openEventStream(instance.server, "/events", { headers, timeout: WAIT_MS });
  await instance.subscribed(before + 1);
  return client;
}

/** Resolves once `client` has received the event with this id, whether or not it was taken already. */
export async function receivedId(client: EventStream, id: string): Promise<void> {
  if (client.received.some((event) => event.id === id)) return;
  await client.takeUntil((event) => event.id === id);
}

/** The data of the events that are not `reset`, in order. */
export function dataOf(events: readonly ServerSentEvent[]): string[] {
  return events.filter((event) => event.event !== "reset").map((event) => event.data);
}

/** Resolves once the client has received `count` events that are not `reset`. */
export async function waitForEvents(client: EventStream, count: number): Promise<void> {
  const enough = (): boolean => dataOf(client.received).length >= count;
  if (!enough()) await client.takeUntil(enough);
}

/**
 * A plain Redis client on the test server for the whole file, connected
 * before its tests and closed after: for looking at the stream directly, or
 * writing to it as another program would.
 */
export function useRedisClient(redisUrl: string) {
  const redis = createClient({ url: redisUrl });
  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(async () => {
    await redis.close();
  });
  return redis;
}
