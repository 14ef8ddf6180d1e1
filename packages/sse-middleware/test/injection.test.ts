import express from "express";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, sse, type Channel, type SseController } from "sse-middleware";
import { listen, request, requestWithRawLastEventId, type TestServer } from "sse-testkit/http";
import { BREAKS, forged } from "sse-testkit/injection-cases";

type Misuse = (sse: SseController, channel: Channel, value: string) => unknown;

// Every field of every entry point. `accepted` says whether the value is
// legitimate there (data and comments may hold line breaks: they are split
// into lines of their own field, never into new fields).
const FIELDS: { name: string; call: Misuse; accepted: boolean }[] = [
  { name: "send() event", call: (s, _c, v) => s.send("d", { event: v }), accepted: false },
  { name: "send() id", call: (s, _c, v) => s.send("d", { id: v }), accepted: false },
  { name: "send() retry", call: (s, _c, v) => s.send("d", { retry: v as never }), accepted: false },
  { name: "send() data", call: (s, _c, v) => s.send(v), accepted: true },
  { name: "send() data as JSON", call: (s, _c, v) => s.send({ v }), accepted: true },
  { name: "comment()", call: (s, _c, v) => s.comment(v), accepted: true },
  { name: "publish() event", call: (_s, c, v) => c.publish("d", { event: v }), accepted: false },
  { name: "publish() id", call: (_s, c, v) => c.publish("d", { id: v }), accepted: false },
  { name: "publish() data", call: (_s, c, v) => c.publish(v), accepted: true },
  { name: "pipe() event", call: (s, _c, v) => s.pipe(["d"], { event: v }), accepted: false },
];

let server: TestServer;
let current: { call: Misuse; value: string; thrown?: unknown };

beforeAll(async () => {
  const app = express();
  app.get("/", sse(), async (_req, res) => {
    const channel = createChannel();
    channel.subscribe(res.sse);
    try {
      await current.call(res.sse, channel, current.value);
    } catch (error) {
      current.thrown = error;
    }
    res.sse.send("sentinel", { event: "end" });
    res.sse.close();
  });
  server = await listen(app);
});
afterAll(() => server.close());

describe("injection matrix: no field of any entry point lets a line break or NUL forge an event", () => {
  for (const field of FIELDS) {
    for (const [breakName, brk] of BREAKS) {
      it(`${field.name} with ${breakName}`, async () => {
        const value = forged(brk);
        current = { call: field.call, value };
        const stream = await request(`${server.url}/`);
        await stream.ended;
        const names = stream.events.map((e) => e.event ?? "message");
        // Nobody sent an "admin" event, nor an id 666.
        expect(names).not.toContain("admin");
        expect(stream.events.map((e) => e.id)).not.toContain("666");
        expect(stream.events.at(-1)).toEqual({ event: "end", id: undefined, data: "sentinel" });
        const nulIsHarmless = brk === "\0" && field.accepted;
        if (!field.accepted && !(brk === "\0" && field.name.includes("event"))) {
          // Rejected before a byte was written: only the sentinel arrived.
          expect(current.thrown).toBeInstanceOf(TypeError);
          expect(stream.events).toHaveLength(1);
        } else if (field.name.startsWith("comment")) {
          expect(stream.events).toHaveLength(1);
        } else if (field.accepted || nulIsHarmless) {
          expect(current.thrown).toBeUndefined();
          expect(stream.events).toHaveLength(2);
        }
      });
    }
  }

  it("an event name with NUL is accepted and arrives as that one name", async () => {
    current = { call: (s) => s.send("d", { event: "a\0b" }), value: "" };
    const stream = await request(`${server.url}/`);
    await stream.ended;
    expect(stream.events.map((e) => e.event)).toEqual(["a\0b", "end"]);
  });
});

describe("a hostile Last-Event-ID", () => {
  let hostile: TestServer;
  let seen: (string | undefined)[] = [];
  const channel = createChannel({ history: 10 });

  beforeAll(async () => {
    channel.publish("kept");
    const app = express();
    app.get("/", sse(), (_req, res) => {
      seen.push(res.sse.lastEventId);
      channel.subscribe(res.sse);
      res.sse.close();
    });
    // Large enough to let a 100 KB header through to the library.
    hostile = await listen(app);
    hostile.server.maxHeadersCount = 0;
  });
  afterAll(() => hostile.close());


  it.each([
    ["latin1 bytes that are not UTF-8", Buffer.from([0xff, 0xfe, 0x41])],
    ["a lone continuation byte", Buffer.from([0x80])],
    ["an overlong UTF-8 encoding", Buffer.from([0xc0, 0x8a])],
    ["an encoded surrogate", Buffer.from([0xed, 0xa0, 0x80])],
    ["over 1 KB", Buffer.from("1".repeat(1025))],
  ])("treats %s as absent, and never echoes it", async (_name, value) => {
    seen = [];
    const response = await requestWithRawLastEventId(hostile.url, value);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(seen).toEqual([undefined]);
    const body = response.slice(response.indexOf("\r\n\r\n"));
    expect(body).not.toContain(value.toString("latin1"));
    // Treated as a new client: no reset, no replay, just where it joined.
    expect(body).not.toContain("reset");
    expect(body).not.toContain("data: kept");
  });

  it.each([
    ["a control character", Buffer.from("1\x01\x02")],
    ["a bare CR", Buffer.from("1\rdata: x")],
    ["NUL", Buffer.from("1\x00")],
  ])("with %s is refused by Node's parser or treated as absent, and never crashes", async (_name, value) => {
    seen = [];
    const response = await requestWithRawLastEventId(hostile.url, value);
    expect(response).toMatch(/^HTTP\/1\.1 (200|400)/);
    expect(seen.every((id) => id === undefined)).toBe(true);
    expect(response).not.toContain("data: x");
  });

  it("of 100 KB is refused by Node's header limit (431) before the library sees it", async () => {
    seen = [];
    const response = await requestWithRawLastEventId(hostile.url, Buffer.from("9".repeat(100_000)));
    expect(response).toMatch(/^HTTP\/1\.1 431/);
    expect(seen).toEqual([]);
  });

  it("of 100 KB under a raised header limit counts as absent", async () => {
    const app = express();
    const ids: (string | undefined)[] = [];
    app.get("/", sse(), (_req, res) => {
      ids.push(res.sse.lastEventId);
      res.sse.close();
    });
    const big = http.createServer({ maxHeaderSize: 200_000 }, app);
    await new Promise<void>((resolve) => big.listen(0, "127.0.0.1", resolve));
    const bigPort = (big.address() as net.AddressInfo).port;
    const response = await requestWithRawLastEventId(`http://127.0.0.1:${bigPort}/`, Buffer.from("9".repeat(100_000)));
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(ids).toEqual([undefined]);
    expect(response).not.toContain("9".repeat(1000));
    big.close();
  });

  it("a valid UTF-8 id, as a browser sends it, resumes the channel's replay", async () => {
    const utf8 = createChannel({ history: 10 });
    utf8.publish("first", { id: "é-1" });
    utf8.publish("second", { id: "é-2" });
    const app = express();
    app.get("/", sse(), (_req, res) => {
      utf8.subscribe(res.sse);
      res.sse.close();
    });
    const s = await listen(app);
    const response = await requestWithRawLastEventId(s.url, Buffer.from("é-1", "utf8"));
    expect(Buffer.from(response, "latin1").toString("utf8")).toContain("id: é-2\ndata: second\n\n");
    expect(response).not.toContain("data: first");
    await s.close();
  });
});
