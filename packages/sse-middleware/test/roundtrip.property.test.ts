import { EventSource } from "eventsource";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import express from "express";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, formatEvent, sse, type Channel } from "sse-middleware";
import { listen, type TestServer } from "sse-testkit/http";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 3000);

/** What the wire does to text: UTF-8 encoding turns each lone surrogate into U+FFFD. */
function overTheWire(text: string): string {
  // ignoreBOM: keep a leading U+FEFF of the value; only a stream's first bytes lose it.
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(Buffer.from(text, "utf8"));
}

/**
 * The data a client sees: the text as it crossed the wire, with every line
 * break as LF (a client joins data lines with LF, whatever ended them).
 */
function asReceived(data: string): string {
  return overTheWire(data).replace(/\r\n|\r/g, "\n");
}

function parseWire(wire: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(overTheWire(wire));
  return events;
}

const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

// The rules, restated independently of the library: the oracle.
const validEventName = (event: string): boolean => event !== "" && !/[\r\n]/.test(event) && isWellFormed(event);
// An id must also come back intact in a Last-Event-ID header: no control
// characters, no surrounding spaces, at most 1 KB of UTF-8.
const validId = (id: string): boolean =>
  !/[\x00-\x08\x0A-\x1F\x7F]/.test(id) &&
  !/^[ \t]|[ \t]$/.test(id) &&
  isWellFormed(id) &&
  Buffer.byteLength(id) <= 1024;

// Strings made mostly of the awkward parts: every line-break form, spaces,
// a BOM, NUL, colons, field names, lone and paired surrogates.
const awkwardUnit = fc.oneof(
  fc.constantFrom("\r", "\n", "\r\n", " ", "\uFEFF", "\0", ":", "data:", "id: ", "event:", "retry: 1"),
  fc.constantFrom("\uD800", "\uDBFF", "\uDC00", "\uDFFF", "😀", "𝄞", "é", "\u2028", "\u0085", "\t"),
  fc.string({ unit: "binary", maxLength: 3 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 4 }),
);
const awkwardString = fc.array(awkwardUnit, { maxLength: 12 }).map((parts) => parts.join(""));
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

describe("every event send() accepts round-trips exactly through eventsource-parser", () => {
  it("string data, event names and ids: accepted ones arrive as sent (lone surrogates as U+FFFD), the rest throw TypeError", () => {
    fc.assert(
      fc.property(awkwardString, maybe(awkwardString), maybe(awkwardString), (data, event, id) => {
        const valid = (event === undefined || validEventName(event)) && (id === undefined || validId(id));
        let wire: string;
        try {
          wire = formatEvent(data, { event, id });
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          expect(valid, "rejected although valid").toBe(false);
          return;
        }
        expect(valid, "accepted although invalid").toBe(true);
        expect(parseWire(wire)).toEqual([{ data: asReceived(data), event, id }]);
      }),
      { numRuns: RUNS },
    );
  });

  it("JSON values arrive as the same JSON, lone surrogates included (JSON escapes them)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const events = parseWire(formatEvent(JSON.stringify(value)));
        expect(events).toHaveLength(1);
        expect(JSON.parse(events[0]!.data)).toStrictEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: RUNS },
    );
  });

  it("several events in a row stay separate, whatever their data", () => {
    fc.assert(
      fc.property(fc.array(awkwardString, { minLength: 1, maxLength: 8 }), (datas) => {
        const wire = datas.map((data, i) => formatEvent(data, { id: String(i) })).join("");
        expect(parseWire(wire).map((e) => [e.id, e.data])).toEqual(datas.map((d, i) => [String(i), asReceived(d)]));
      }),
      { numRuns: RUNS },
    );
  });

  it("a 1 MB payload of mixed line breaks round-trips", () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `${" ".repeat(i % 3)}line ${i} ${"x".repeat(30)}`);
    const breaks = ["\n", "\r", "\r\n"];
    const data = lines.map((line, i) => line + breaks[i % 3]).join("");
    expect(data.length).toBeGreaterThan(1_000_000);
    expect(parseWire(formatEvent(data, { event: "big", id: "1" }))).toEqual([
      { data: asReceived(data), event: "big", id: "1" },
    ]);
  });
});

describe("through a real server, res.sse.send() and channel.publish(), to the eventsource client", () => {
  let server: TestServer;
  let batch: { data: string; event?: string; id: string }[] = [];
  let channel: Channel;
  let served = 0;
  let runs = 0;
  const servedRuns = new Set<string>();

  beforeAll(async () => {
    const app = express();
    // retry: 1 so the client's reconnect (answered 204) comes at once.
    app.get("/send", sse({ retry: 1 }), (req, res) => {
      // A second request for the same run is the client reconnecting (with
      // or without Last-Event-ID: an id of "" clears it): 204 stops it.
      const run = String(req.query.run);
      if (servedRuns.has(run)) return void res.status(204).end();
      servedRuns.add(run);
      for (const { data, event, id } of batch) res.sse.send(data, { event, id });
      res.sse.close();
    });
    app.get("/publish", sse({ retry: 1 }), (req, res) => {
      const run = String(req.query.run);
      if (servedRuns.has(run)) return void res.status(204).end();
      servedRuns.add(run);
      channel.subscribe(res.sse);
      served += 1;
    });
    server = await listen(app);
  });
  afterAll(() => server.close());

  /**
   * A browser sends Last-Event-ID as the UTF-8 bytes of the id; Node's fetch
   * only takes header strings of bytes, so hand it those bytes as latin1.
   */
  const fetchLikeABrowser: typeof fetch = (input, init) => {
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([name, value]) => [
        name,
        Buffer.from(value, "utf8").toString("latin1"),
      ]),
    );
    return fetch(input, { ...init, headers });
  };

  /** Reads with the `eventsource` package until the server answers 204. */
  function receive(path: string, expected: number, onOpen?: () => void) {
    return new Promise<{ data: string; type: string; lastEventId: string }[]>((resolve, reject) => {
      const got: { data: string; type: string; lastEventId: string }[] = [];
      runs += 1;
      const source = new EventSource(`${server.url}${path}?run=${runs}`, { fetch: fetchLikeABrowser });
      const record = (event: MessageEvent) => {
        got.push({ data: event.data as string, type: event.type, lastEventId: event.lastEventId });
        if (path === "/publish" && got.length === expected) {
          source.close();
          resolve(got);
        }
      };
      source.onmessage = record;
      for (const name of new Set(batch.map((b) => b.event).filter((e): e is string => e !== undefined))) {
        source.addEventListener(name, record);
      }
      source.onopen = () => onOpen?.();
      source.onerror = (error) => {
        if (source.readyState !== EventSource.CLOSED) return;
        if (error.code === 204) resolve(got);
        else reject(error);
      };
    });
  }

  const validEvent = fc.record({
    data: awkwardString,
    event: maybe(awkwardString.filter(validEventName).filter((e) => e !== "message")),
    id: awkwardString.filter(validId),
  });

  it("send(): each event arrives with its data, type and id", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(validEvent, { minLength: 1, maxLength: 30 }), async (events) => {
        batch = events.map((e) => (e.event === undefined ? { data: e.data, id: e.id } : e));
        const got = await receive("/send", batch.length);
        expect(got).toEqual(
          batch.map((e) => ({ data: asReceived(e.data), type: e.event ?? "message", lastEventId: e.id })),
        );
      }),
      { numRuns: Math.ceil(RUNS / 30) },
    );
  }, 120_000);

  it("publish(): each event arrives with its data, type and id", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(validEvent, { minLength: 1, maxLength: 30 }), async (events) => {
        batch = events.map((e) => (e.event === undefined ? { data: e.data, id: e.id } : e));
        channel = createChannel();
        const before = served;
        const got = receive("/publish", batch.length);
        while (served === before) await new Promise((resolve) => setImmediate(resolve));
        for (const { data, event, id } of batch) channel.publish(data, { event, id });
        expect(await got).toEqual(
          batch.map((e) => ({ data: asReceived(e.data), type: e.event ?? "message", lastEventId: e.id })),
        );
        channel.close();
      }),
      { numRuns: Math.ceil(RUNS / 30) },
    );
  }, 120_000);

  it("a 1 MB event arrives whole", async () => {
    batch = [{ data: "a\r\nb\rc\n".repeat(150_000), event: "big", id: "1" }];
    const got = await receive("/send", 1);
    expect(got).toEqual([{ data: "a\nb\nc\n".repeat(150_000), type: "big", lastEventId: "1" }]);
  });
});
