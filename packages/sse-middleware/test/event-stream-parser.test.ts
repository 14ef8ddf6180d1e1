// The test client's parser, against the spec's sentences and against
// eventsource-parser (the parser of the `eventsource` package) on random
// byte streams split at random points.
import { createParser } from "eventsource-parser";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventStreamParser, type ServerSentEvent } from "../src/event-stream-parser.js";

function parse(chunks: readonly (string | Uint8Array)[]): { events: ServerSentEvent[]; lastEventId: string; retry: number | undefined } {
  const events: ServerSentEvent[] = [];
  const parser = new EventStreamParser((event) => events.push(event));
  for (const chunk of chunks) parser.feed(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
  parser.end();
  return { events, lastEventId: parser.lastEventId, retry: parser.retry };
}

/**
 * What eventsource-parser makes of the same bytes, decoded as a browser
 * decodes them. It is fed the whole stream: split after a lone CR, it holds
 * the CR back until a later chunk brings a line break, where a browser ends
 * the line at once. (Splitting is checked against our own whole parse.)
 */
function oracle(bytes: Uint8Array): { events: { event: string; data: string; id: string | undefined }[]; retry: number | undefined } {
  const events: { event: string; data: string; id: string | undefined }[] = [];
  let retry: number | undefined;
  const parser = createParser({
    onEvent: (event) => events.push({ event: event.event ?? "message", data: event.data, id: event.id }),
    onRetry: (ms) => (retry = ms),
  });
  const text = new TextDecoder("utf-8").decode(bytes);
  parser.feed(text);
  // For the same reason, a final CR would never end its line: an LF does, without adding one.
  if (text.endsWith("\r")) parser.feed("\n");
  return { events, retry };
}

/** Splits `bytes` at the given points (any byte offset, inside a UTF-8 sequence or a CRLF too). */
function split(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((point) => point % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

// Pieces that make the parser's decisions: field names, separators, every
// line end, NUL, BOMs, multi-byte characters, digits for retry.
const piece = fc.constantFrom(
  "data", "data:", "data: ", "id", "id:", "id: ", "event:", "event: ", "retry:", "retry: ", ":", ": comment",
  " ", "\n", "\r", "\r\n", "\n\n", "\r\r", "\0", "\uFEFF", "é", "😀", "x", "y", "12", "3", "ping", "msg", "dat",
  // Whole lines, so that whole events are common.
  "\nid: 1\n", "\nid: 2\0\n", "\ndata: d\n", "\nevent: e\n", "\nretry: 250\n", "\n\n",
);
const text = fc.array(piece, { maxLength: 80 }).map((pieces) => pieces.join(""));
const randomBytes = fc.uint8Array({ maxLength: 200 });
const stream = fc.oneof(
  { weight: 4, arbitrary: text.map((value) => new Uint8Array(Buffer.from(value, "utf8"))) },
  { weight: 1, arbitrary: randomBytes },
  // A BOM at the very start, which the decoder drops once.
  { weight: 1, arbitrary: text.map((value) => new Uint8Array(Buffer.from(`\uFEFF${value}`, "utf8"))) },
);
const points = fc.array(fc.nat(), { maxLength: 12 });

describe("the test client's event stream parser", () => {
  it("agrees with eventsource-parser on every event's type, data and id, and on retry, however the bytes are split", () => {
    fc.assert(
      fc.property(stream, points, (bytes, cuts) => {
        const ours = parse(split(bytes, cuts));
        const theirs = oracle(bytes);
        expect(ours.events.map(({ event, data }) => ({ event, data }))).toEqual(theirs.events.map(({ event, data }) => ({ event, data })));
        // eventsource-parser gives an event's own id; a browser's lastEventId is the same when the event set one.
        theirs.events.forEach((event, i) => {
          if (event.id !== undefined) expect(ours.events[i]!.id).toBe(event.id);
        });
        expect(ours.retry).toBe(theirs.retry);
      }),
      { numRuns: 5000 },
    );
  });

  it("reads the same events, last event id and retry from any split as from the whole stream", () => {
    fc.assert(
      fc.property(stream, points, (bytes, cuts) => {
        expect(parse(split(bytes, cuts))).toEqual(parse([bytes]));
      }),
      { numRuns: 2000 },
    );
  });

  // The spec's sentences ("Event stream interpretation").
  it("drops one leading BOM, and only one", () => {
    expect(parse(["\uFEFFdata: a\n\n"]).events).toEqual([{ event: "message", data: "a", id: "" }]);
    expect(parse(["\uFEFF\uFEFFdata: a\n\n"]).events).toEqual([]); // the second BOM starts a field name
    expect(parse([new Uint8Array([0xef]), new Uint8Array([0xbb, 0xbf]), "data: a\n\n"]).events).toHaveLength(1);
  });

  it("ends lines at CRLF, LF and CR, a CRLF split across chunks being one line end", () => {
    expect(parse(["data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n"]).events.map((e) => e.data)).toEqual(["a", "b", "c", "d"]);
    expect(parse(["data: a\r", "\ndata: b\r", "\n\r", "\n"]).events.map((e) => e.data)).toEqual(["a\nb"]);
  });

  it("joins data lines with LF, removes one space after the colon, and fires an empty data line", () => {
    expect(parse(["data:  two spaces\ndata:none\ndata\n\n"]).events).toEqual([{ event: "message", data: " two spaces\nnone\n", id: "" }]);
    expect(parse(["data:\n\n"]).events).toEqual([{ event: "message", data: "", id: "" }]);
  });

  it("fires nothing for a block without data, and discards an event the stream ends in the middle of", () => {
    expect(parse(["event: x\n\n: just a comment\n\nid: 1\n\ndata: cut"]).events).toEqual([]);
    expect(parse(["data: whole\n\ndata: half\n"]).events.map((e) => e.data)).toEqual(["whole"]);
  });

  it("keeps the last event id across events, sets it from a block without data, and ignores an id with NUL", () => {
    const result = parse(["id: 1\ndata: a\n\ndata: b\n\nid: 2\n\nid: bad\0id\ndata: c\n\nid\ndata: d\n\n"]);
    expect(result.events).toEqual([
      { event: "message", data: "a", id: "1" },
      { event: "message", data: "b", id: "1" },
      { event: "message", data: "c", id: "2" },
      { event: "message", data: "d", id: "" },
    ]);
    expect(parse(["id: 7\n\n"]).lastEventId).toBe("7");
  });

  it("starts from the id a resuming client sent, until the stream sets another", () => {
    const events: ServerSentEvent[] = [];
    const parser = new EventStreamParser((event) => events.push(event), "7");
    parser.feed(Buffer.from("event: reset\ndata: 3\n\nid: 3\ndata: c\n\n"));
    expect(events.map((event) => event.id)).toEqual(["7", "3"]);
  });

  it("takes retry only when it is all ASCII digits, and ignores unknown fields", () => {
    expect(parse(["retry: 1500\n\nretry: 2x\nretry: -1\nretry:\nfoo: bar\n\n"]).retry).toBe(1500);
    expect(parse(["retry: 0\n"]).retry).toBe(0);
  });

  it("names the event from the event field, message when it is empty or absent, and resets it after each event", () => {
    expect(parse(["event: story\ndata: a\n\nevent:\ndata: b\n\ndata: c\n\n"]).events.map((e) => e.event)).toEqual([
      "story",
      "message",
      "message",
    ]);
  });

  it("turns invalid UTF-8 into U+FFFD, even split across chunks", () => {
    expect(parse([new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xf0, 0x9f]), new Uint8Array([0x0a, 0x0a])]).events).toEqual([
      { event: "message", data: "\uFFFD", id: "" },
    ]);
  });
});
