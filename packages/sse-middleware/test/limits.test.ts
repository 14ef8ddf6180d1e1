import { afterEach, describe, expect, it } from "vitest";
import { createChannel, sse, type SseController } from "sse-middleware";
import { aborted, listen, plainApp, protocols, type TestApp, type TestServer } from "sse-testkit/http";

let server: Pick<TestServer, "close" | "request"> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each(protocols)("over %s", (protocol) => {
  /** Serves the routes `setup` adds, over this block's protocol. */
  async function serve(setup: (app: TestApp) => void) {
    const app = plainApp();
    setup(app);
    const testServer = await listen(app.handler, { protocol });
    server = testServer;
    return testServer;
  }

  describe("maxConnections", () => {
    it("answers 503 with Retry-After past the limit, before any event, and admits again once a stream closes", async () => {
      const events = sse({ maxConnections: 2, retry: 3000 });
      const controllers: SseController[] = [];
      const testServer = await serve((app) =>
        app.get("/", events, (_req, res) => {
          controllers.push(res.sse);
          res.sse.send("welcome");
        }),
      );
      const first = await testServer.request("/");
      const second = await testServer.request("/");
      const refused = await testServer.request("/");
      expect([first.status, second.status, refused.status]).toEqual([200, 200, 503]);
      expect(refused.headers["retry-after"]).toBe("3");
      expect(refused.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(await refused.ended).toBe("Too many open event streams; retry later.\n");
      // The refused handler saw a closed stream: send returned false, nothing thrown.
      expect(controllers[2]!.closed).toBe(true);
      expect(controllers[2]!.signal.aborted).toBe(true);
      expect(events.size).toBe(2);

      first.destroy();
      await aborted(controllers[0]!.signal);
      const admitted = await testServer.request("/");
      expect(admitted.status).toBe(200);
      expect(await admitted.waitFor((t) => t.includes("welcome"))).toBe("retry: 3000\n\ndata: welcome\n\n");
      second.destroy();
      admitted.destroy();
    });

    it("does not count HEAD requests or routes that never stream", async () => {
      const testServer = await serve((app) => {
        app.use(sse({ maxConnections: 1 }));
        app.get("/plain", (_req, res) => res.end("ok"));
        app.get("/", (_req, res) => res.sse.open());
      });
      expect(await (await testServer.request("/plain")).ended).toBe("ok");
      expect((await testServer.request("/", { method: "HEAD" })).status).toBe(200);
      const stream = await testServer.request("/");
      expect(stream.status).toBe(200);
      stream.destroy();
    });

    it("rejects a bad maxConnections or maxAge with a TypeError", () => {
      expect(() => sse({ maxConnections: 0 })).toThrow(/maxConnections must be a positive integer or Infinity, got 0/);
      expect(() => sse({ maxConnections: 2.5 })).toThrow(TypeError);
      expect(() => sse({ maxAge: 0 })).toThrow(/maxAge must be false or a positive integer of milliseconds, got 0/);
      expect(() => sse({ maxAge: "1h" as never })).toThrow(TypeError);
    });
  });

  describe("maxAge", () => {
    it("closes a stream after maxAge so the client reconnects, and it resumes from history", async () => {
      const channel = createChannel({ history: 100 });
      const testServer = await serve((app) =>
        app.get("/", sse({ maxAge: 60, keepAlive: false }), (_req, res) => void channel.subscribe(res.sse)),
      );
      channel.publish("before");
      const stream = await testServer.request("/");
      channel.publish("one");
      const body = await stream.ended;
      expect(body).toBe("id: 1\n\nid: 2\ndata: one\n\n");
      channel.publish("while away");
      const resumed = await testServer.request("/", { headers: { "Last-Event-ID": "2" } });
      await resumed.waitFor((t) => t.includes("while away"));
      expect(resumed.events.map((e) => e.data)).toEqual(["while away"]);
      resumed.destroy();
    });

    it("leaves streams alone without maxAge", async () => {
      let controller: SseController | undefined;
      const testServer = await serve((app) =>
        app.get("/", sse({ keepAlive: 20 }), (_req, res) => {
          controller = res.sse;
          res.sse.open();
        }),
      );
      const stream = await testServer.request("/");
      // Several heartbeats go by; the stream stays open.
      await stream.waitFor((t) => t.split(":\n\n").length > 5);
      expect(controller!.closed).toBe(false);
      stream.destroy();
    });
  });
});
