import express5 from "express";
import express4 from "express4";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sse } from "sse-middleware";
import {
  aborted,
  listen,
  nextTurn,
  plainApp,
  request,
  type Protocol,
  type TestApp,
  type TestServer,
} from "sse-testkit/http";

let server: Pick<TestServer, "close" | "url" | "request"> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Express apps as a TestApp: the same tests run on them and on plain handlers. */
function expressApp(express: typeof express4 | typeof express5) {
  return (): TestApp & { handler: Parameters<typeof listen>[0] } => {
    const app = express();
    return {
      use: (handler) => void app.use(handler),
      get: (path, ...handlers) => void app.get(path, ...handlers),
      head: (path, ...handlers) => void app.head(path, ...handlers),
      handler: app,
    };
  };
}

describe.each<[string, () => TestApp & { handler: Parameters<typeof listen>[0] }, Protocol]>([
  ["Express 5 over http/1.1", expressApp(express5), "http/1.1"],
  ["Express 4 over http/1.1", expressApp(express4), "http/1.1"],
  ["plain handlers over h2c", plainApp, "h2c"],
])("%s", (_name, makeApp, protocol) => {
  const http1 = protocol === "http/1.1";

  async function serve(setup: (app: TestApp) => void): Promise<string> {
    const app = makeApp();
    setup(app);
    const testServer = await listen(app.handler, { protocol });
    server = testServer;
    return testServer.url;
  }

  /** A request to `url` over this block's protocol. */
  function get(url: string, options: { method?: string; headers?: Record<string, string> } = {}) {
    return request(url, { ...options, protocol });
  }

  it("answers with status 200 and exactly the SSE headers, flushed on open before any event", async () => {
    const url = await serve((app) => {
      app.get("/", sse(), (_req, res) => res.sse.open());
    });
    const stream = await get(`${url}/`);
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream");
    expect(stream.headers["cache-control"]).toBe("no-cache, no-transform");
    expect(stream.headers["x-accel-buffering"]).toBe("no");
    // Said on HTTP/1.1 for proxies; HTTP/2 forbids connection-specific headers.
    expect(stream.headers["connection"]).toBe(http1 ? "keep-alive" : undefined);
    expect(stream.text()).toBe("");
    stream.destroy();
  });

  it.runIf(http1)("honours a client's Connection: close instead of forcing keep-alive", async () => {
    const url = await serve((app) => {
      app.get("/", sse(), (_req, res) => {
        res.sse.send("x");
        res.sse.close();
      });
    });
    const stream = await get(`${url}/`, { headers: { Connection: "close" } });
    expect(stream.headers["connection"]).toBe("close");
    expect(await stream.ended).toBe("data: x\n\n");
  });

  it("writes events exactly as formatted, and the parser sees each one", async () => {
    const url = await serve((app) => {
      app.use(sse());
      app.get("/", (_req, res) => {
        res.sse.send(1700000000000);
        res.sse.send("a\nb", { event: "note", id: "7", retry: 5000 });
        res.sse.comment("hi");
        res.sse.send({ ok: true });
        res.sse.close();
      });
    });
    const stream = await get(`${url}/`);
    expect(await stream.ended).toBe(
      'data: 1700000000000\n\nid: 7\nevent: note\nretry: 5000\ndata: a\ndata: b\n\n: hi\n\ndata: {"ok":true}\n\n',
    );
    expect(stream.events.map((event) => [event.event, event.id, event.data])).toEqual([
      [undefined, undefined, "1700000000000"],
      ["note", "7", "a\nb"],
      [undefined, undefined, '{"ok":true}'],
    ]);
  });

  it("leaves routes that don't use res.sse untouched", async () => {
    const url = await serve((app) => {
      app.use(sse());
      app.get("/json", (_req, res) => {
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        res.end(JSON.stringify({ plain: true }));
      });
    });
    const response = await get(`${url}/json`);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.headers["x-accel-buffering"]).toBeUndefined();
    expect(await response.ended).toBe('{"plain":true}');
  });

  it("answers HEAD with the headers and an immediate end", async () => {
    let sendAfterHead: boolean | undefined;
    const url = await serve((app) => {
      app.head("/", sse(), (_req, res) => {
        res.sse.open();
        sendAfterHead = res.sse.send("never");
      });
    });
    const response = await get(`${url}/`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("text/event-stream");
    expect(await response.ended).toBe("");
    expect(sendAfterHead).toBe(false);
  });

  it("sends the retry option with the first write", async () => {
    const url = await serve((app) => {
      app.get("/", sse({ retry: 1500 }), (_req, res) => {
        res.sse.send("x");
        res.sse.close();
      });
    });
    const response = await get(`${url}/`);
    expect(await response.ended).toBe("retry: 1500\n\ndata: x\n\n");
  });

  it("sends a heartbeat comment every keepAlive ms on an idle stream", async () => {
    const url = await serve((app) => {
      app.get("/", sse({ keepAlive: 10 }), (_req, res) => res.sse.open());
    });
    const stream = await get(`${url}/`);
    const text = await stream.waitFor((received) => received.startsWith(":\n\n:\n\n:\n\n"));
    expect(text.replaceAll(":\n\n", "")).toBe("");
    expect(stream.events).toEqual([]);
    stream.destroy();
  });

  it("sends no heartbeat with keepAlive: false", async () => {
    let controller: Express.Response["sse"] | undefined;
    const url = await serve((app) => {
      app.get("/", sse({ keepAlive: false }), (_req, res) => {
        controller = res.sse;
        res.sse.send("first");
      });
    });
    // Without this, the test would pass with keepAlive ignored too: the
    // default heartbeat (15 s) would not come within it either.
    const setIntervalSpy = vi.spyOn(globalThis, "setInterval");
    try {
      const stream = await get(`${url}/`);
      await stream.waitFor((text) => text.length > 0);
      expect(setIntervalSpy).not.toHaveBeenCalled();
      controller?.send("last");
      controller?.close();
      expect(await stream.ended).toBe("data: first\n\ndata: last\n\n");
    } finally {
      setIntervalSpy.mockRestore();
    }
  });

  it("runs one heartbeat timer for all streams of an instance, and releases it when they close", async () => {
    const setIntervalSpy = vi.spyOn(globalThis, "setInterval");
    const clearIntervalSpy = vi.spyOn(globalThis, "clearInterval");
    try {
      const controllers: Express.Response["sse"][] = [];
      const url = await serve((app) => {
        app.get("/", sse({ keepAlive: 60_000 }), (_req, res) => {
          controllers.push(res.sse);
          res.sse.open();
        });
      });
      const streams = await Promise.all(Array.from({ length: 10 }, () => get(`${url}/`)));
      const heartbeats = setIntervalSpy.mock.calls.filter((call) => call[1] === 60_000);
      expect(heartbeats).toHaveLength(1);
      const timer = setIntervalSpy.mock.results[setIntervalSpy.mock.calls.indexOf(heartbeats[0]!)]?.value;
      expect(clearIntervalSpy).not.toHaveBeenCalledWith(timer);
      for (const controller of controllers) controller.close();
      await Promise.all(streams.map((stream) => stream.ended));
      expect(clearIntervalSpy).toHaveBeenCalledWith(timer);
    } finally {
      setIntervalSpy.mockRestore();
      clearIntervalSpy.mockRestore();
    }
  });

  it("closes from the server: ends the response, aborts the signal, send returns false", async () => {
    let after: { closed: boolean; aborted: boolean; send: boolean; comment: boolean } | undefined;
    const url = await serve((app) => {
      app.get("/", sse(), (_req, res) => {
        res.sse.send("bye");
        res.sse.close();
        res.sse.close();
        after = {
          closed: res.sse.closed,
          aborted: res.sse.signal.aborted,
          send: res.sse.send("late"),
          comment: res.sse.comment("late"),
        };
      });
    });
    const stream = await get(`${url}/`);
    expect(await stream.ended).toBe("data: bye\n\n");
    expect(after).toEqual({ closed: true, aborted: true, send: false, comment: false });
  });

  it("notices when the client goes away: signal aborted, closed, send returns false", async () => {
    let controller: Express.Response["sse"] | undefined;
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const url = await serve((app) => {
      app.get("/", sse({ keepAlive: 60_000 }), (_req, res) => {
        controller = res.sse;
        res.sse.send("hello");
        opened();
      });
    });
    const stream = await get(`${url}/`);
    await isOpen;
    await stream.waitFor((text) => text === "data: hello\n\n");
    expect(controller?.closed).toBe(false);
    stream.destroy();
    await aborted(controller!.signal);
    expect(controller?.closed).toBe(true);
    expect(controller?.send("late")).toBe(false);
  });

  it("reports Last-Event-ID decoded as UTF-8", async () => {
    const ids: (string | undefined)[] = [];
    const url = await serve((app) => {
      app.get("/", sse(), (_req, res) => {
        ids.push(res.sse.lastEventId);
        res.end();
      });
    });
    await (await get(`${url}/`)).ended;
    await (await get(`${url}/`, { headers: { "Last-Event-ID": "42" } })).ended;
    // Node's client sends header strings as latin1 bytes: this is "é-✓" in UTF-8.
    const utf8AsLatin1 = Buffer.from("é-✓", "utf8").toString("latin1");
    await (await get(`${url}/`, { headers: { "Last-Event-ID": utf8AsLatin1 } })).ended;
    expect(ids).toEqual([undefined, "42", "é-✓"]);
  });

  it("treats a Last-Event-ID that is not UTF-8 or over 1 KB as absent", async () => {
    const ids: (string | undefined)[] = [];
    const url = await serve((app) => {
      app.get("/", sse(), (_req, res) => {
        ids.push(res.sse.lastEventId);
        res.end();
      });
    });
    await (await get(`${url}/`, { headers: { "Last-Event-ID": "\xff\xfe" } })).ended;
    await (await get(`${url}/`, { headers: { "Last-Event-ID": "1".repeat(1025) } })).ended;
    expect(ids).toEqual([undefined, undefined]);
  });

  describe("bad input throws TypeError before anything is written", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const cases: [string, (controller: Express.Response["sse"]) => unknown][] = [
      ["an event name with LF", (c) => c.send("x", { event: "a\nb" })],
      ["an event name with CR", (c) => c.send("x", { event: "a\rdata: injected" })],
      ["an id with LF", (c) => c.send("x", { id: "1\nevent: admin" })],
      ["an id with NUL", (c) => c.send("x", { id: "1\u0000" })],
      ["a negative retry", (c) => c.send("x", { retry: -1 })],
      ["a fractional retry", (c) => c.send("x", { retry: 1.5 })],
      ["a BigInt", (c) => c.send(1n)],
      ["a cycle", (c) => c.send(cycle)],
      ["undefined data", (c) => c.send(undefined)],
      ["an unknown send option", (c) => c.send("x", { evnt: "typo" } as never)],
    ];

    it.each(cases)("%s", async (_name, misuse) => {
      let thrown: unknown;
      const url = await serve((app) => {
        app.get("/", sse(), (_req, res) => {
          try {
            misuse(res.sse);
          } catch (error) {
            thrown = error;
          }
          // Nothing was written, not even the headers: the handler can still answer otherwise.
          res.statusCode = 500;
          res.setHeader("Content-Type", "text/plain");
          res.end(`headersSent=${res.headersSent}`);
        });
      });
      const response = await get(`${url}/`);
      expect(response.status).toBe(500);
      expect(await response.ended).toBe("headersSent=false");
      expect(thrown).toBeInstanceOf(TypeError);
    });

    it("and the stream goes on untouched after a rejected event", async () => {
      const url = await serve((app) => {
        app.get("/", sse(), (_req, res) => {
          res.sse.send("before");
          expect(() => res.sse.send("x", { id: "1\n2" })).toThrow(TypeError);
          res.sse.send("after");
          res.sse.close();
        });
      });
      const response = await get(`${url}/`);
      expect(await response.ended).toBe("data: before\n\ndata: after\n\n");
    });
  });
});

describe("sse() options", () => {
  it.each([
    ["keepAlive 0", { keepAlive: 0 }, /keepAlive must be false or an integer/],
    ["keepAlive as a string", { keepAlive: "15s" }, /keepAlive must be false or an integer of milliseconds from 1 to 2147483647, got "15s"/],
    ["keepAlive true", { keepAlive: true }, /keepAlive/],
    ["a negative retry", { retry: -5 }, /retry must be a non-negative integer/],
    ["maxBufferedBytes 0", { maxBufferedBytes: 0 }, /maxBufferedBytes must be a positive integer/],
    ["an unknown option", { keepalive: 10 }, /option "keepalive" is unknown/],
    ["null", null, /options must be an object, got null/],
  ])("rejects %s with a TypeError at factory time", (_name, options, message) => {
    expect(() => sse(options as never)).toThrow(TypeError);
    expect(() => sse(options as never)).toThrow(message);
  });

  it("accepts keepAlive: false, Infinity maxBufferedBytes and retry 0", () => {
    expect(() => sse({ keepAlive: false, maxBufferedBytes: Infinity, retry: 0 })).not.toThrow();
  });
});

describe("the controller's lifecycle", () => {
  it("is fresh per request and usable by plain node:http handlers", async () => {
    const middleware = sse();
    server = await listen((req, res) => {
      middleware(req, res, () => {
        (res as unknown as Express.Response).sse.send("from node:http");
        (res as unknown as Express.Response).sse.close();
      });
    });
    const response = await request(`${server.url}/`);
    expect(await response.ended).toBe("data: from node:http\n\n");
  });

  it("keeps a signal that is already aborted when read after close", async () => {
    let abortedOnRead: boolean | undefined;
    server = await listen(express5().get("/", sse(), (_req, res) => {
      res.sse.close();
      abortedOnRead = res.sse.signal.aborted;
    }));
    await (await request(`${server.url}/`)).ended;
    await nextTurn();
    expect(abortedOnRead).toBe(true);
  });
});
