import { getEventListeners } from "node:events";
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { sse, type SseController } from "sse-middleware";
import { Arrivals, listen, nextTurn, protocols, startRequest, withSse, type TestServer } from "sse-testkit/http";

let server: Pick<TestServer, "close"> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each(protocols)("res.sse.signal over %s", (protocol) => {
  it("aborts for every client that leaves before anything was written, and the handlers' work stops", async () => {
    const CLIENTS = 200;
    const arrived = new Arrivals<SseController>();
    const responsesClosed = new Arrivals<void>();
    const upstreams = new Set<NodeJS.Timeout>();
    let aborts = 0;
    const handler = withSse(sse({ keepAlive: false }), (_req, res) => {
      // A handler that only waits for its client to go: it polls an upstream, say, and never writes.
      const upstream = setInterval(() => {}, 60_000);
      upstreams.add(upstream);
      res.sse.signal.addEventListener(
        "abort",
        () => {
          aborts += 1;
          clearInterval(upstream);
          upstreams.delete(upstream);
        },
        { once: true },
      );
      res.on("close", () => responsesClosed.push());
      arrived.push(res.sse);
    });
    const testServer = await listen(handler, { protocol });
    server = testServer;

    const clients = Array.from({ length: CLIENTS }, () => startRequest(`${testServer.url}/`, { protocol }));
    await arrived.atLeast(CLIENTS);
    expect(upstreams.size).toBe(CLIENTS);
    for (const client of clients) client.destroy();
    await responsesClosed.atLeast(CLIENTS);
    await nextTurn();

    expect(aborts).toBe(CLIENTS);
    expect(arrived.items.every((controller) => controller.closed && controller.signal.aborted)).toBe(true);
    expect(arrived.items.map((controller) => getEventListeners(controller.signal, "abort").length)).toEqual(
      Array.from({ length: CLIENTS }, () => 0),
    );
    const leaked = upstreams.size;
    for (const upstream of upstreams) clearInterval(upstream);
    expect(leaked).toBe(0);
  });

  it("is already aborted when first read after the client left", async () => {
    let abortedOnRead: boolean | undefined;
    let read!: () => void;
    const wasRead = new Promise<void>((resolve) => (read = resolve));
    const clientGone = new Arrivals<void>();
    const handler = withSse(sse(), (req, res) => {
      // The handler awaits something slow (a database, say); the client leaves meanwhile.
      res.on("close", () =>
        setImmediate(() => {
          abortedOnRead = res.sse.signal.aborted;
          read();
        }),
      );
      clientGone.push();
    });
    const testServer = await listen(handler, { protocol });
    server = testServer;
    const client = startRequest(`${testServer.url}/`, { protocol });
    await clientGone.atLeast(1);
    client.destroy();
    await wasRead;
    expect(abortedOnRead).toBe(true);
  });

  it("costs a route that never touches res.sse nothing: no listener on the response", async () => {
    const counts: Record<string, number> = {};
    const listeners = (res: ServerResponse) =>
      res.listenerCount("close") + res.listenerCount("drain") + res.listenerCount("finish");
    const plain = await listen((_req, res) => {
      counts.plain = listeners(res);
      res.end();
    }, { protocol });
    const withMiddleware = await listen(
      withSse(sse(), (_req, res) => {
        counts.sse = listeners(res);
        res.end();
      }),
      { protocol },
    );
    for (const target of [plain, withMiddleware]) {
      await (await target.request("/")).ended;
      await target.close();
    }
    expect(counts.sse).toBe(counts.plain);
  });
});
