import { createParser, type EventSourceMessage } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import {
  assertEventId,
  assertEventName,
  assertRetry,
  formatComment,
  formatEvent,
  formatRetry,
  serializeData,
} from "../src/format.js";

function parse(wire: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(wire);
  return events;
}

describe("formatEvent", () => {
  it("writes one data line with one space after the colon and ends the event with a blank line", () => {
    expect(formatEvent("hello")).toBe("data: hello\n\n");
  });

  it("splits data on CRLF, CR and LF, one data: line each", () => {
    expect(formatEvent("a\r\nb\rc\nd")).toBe("data: a\ndata: b\ndata: c\ndata: d\n\n");
  });

  it("keeps empty lines, including a trailing line break, as empty data: lines", () => {
    expect(formatEvent("a\n\nb\n")).toBe("data: a\ndata: \ndata: b\ndata: \n\n");
    expect(parse(formatEvent("a\n\nb\n"))[0]?.data).toBe("a\n\nb\n");
  });

  it('sends "" as an empty message that still fires', () => {
    expect(formatEvent("")).toBe("data: \n\n");
    expect(parse(formatEvent(""))).toEqual([{ id: undefined, event: undefined, data: "" }]);
  });

  it("keeps a value's own leading space: the parser strips only the one after the colon", () => {
    expect(formatEvent("  two")).toBe("data:   two\n\n");
    expect(parse(formatEvent("  two"))[0]?.data).toBe("  two");
  });

  it("keeps a leading U+FEFF in the data", () => {
    expect(parse(`data: x\n\n${formatEvent("\uFEFFbom")}`)[1]?.data).toBe("\uFEFFbom");
  });

  it("uses LF only, never CR, as line ending", () => {
    const wire = formatEvent("a\r\nb", { id: "1", event: "e", retry: 5 });
    expect(wire).not.toContain("\r");
  });

  it("writes id, event and retry fields before the data", () => {
    expect(formatEvent("x", { id: "7", event: "note", retry: 5000 })).toBe(
      "id: 7\nevent: note\nretry: 5000\ndata: x\n\n",
    );
  });

  it("round-trips data, id and event through eventsource-parser", () => {
    const events = parse(formatEvent("a\nb", { event: "note", id: "7" }));
    expect(events).toEqual([{ id: "7", event: "note", data: "a\nb" }]);
  });

  it("accepts an empty id, which resets the client's last event id", () => {
    expect(formatEvent("x", { id: "" })).toBe("id: \ndata: x\n\n");
  });

  it.each([
    ["LF", "a\nb"],
    ["CR", "a\rb"],
    ["CRLF", "a\r\nb"],
  ])("rejects an event name containing %s", (_name, event) => {
    expect(() => formatEvent("x", { event })).toThrow(/event name must not contain CR or LF/);
  });

  it.each([
    ["a control character", "1\u0001"],
    ["DEL", "1\u007f"],
    ["a leading space", " 1"],
    ["a trailing tab", "1\t"],
    ["a lone surrogate", "1\ud800"],
    ["over 1 KB of UTF-8", "é".repeat(513)],
  ])("rejects an id with %s, which could not come back in Last-Event-ID", (_name, id) => {
    expect(() => formatEvent("x", { id })).toThrow(TypeError);
  });

  it("accepts an id of exactly 1 KB, with inner spaces and tabs", () => {
    expect(() => formatEvent("x", { id: "a \tb" + "c".repeat(1019) })).not.toThrow();
  });

  it("rejects an empty event name, which a client would dispatch as message", () => {
    expect(() => formatEvent("x", { event: "" })).toThrow(TypeError);
  });

  it.each([
    ["LF", "1\n2"],
    ["CR", "1\r2"],
    ["CRLF", "1\r\n2"],
    ["NUL", "1\u00002"],
  ])("rejects an id containing %s", (_name, id) => {
    expect(() => formatEvent("x", { id })).toThrow(/id must not contain CR, LF or NUL/);
  });

  it.each([-1, 1.5, Number.NaN, Infinity, "100" as unknown as number])("rejects retry %s", (retry) => {
    expect(() => formatEvent("x", { retry })).toThrow(/retry must be a non-negative integer/);
  });

  it("names the offending value in the error", () => {
    expect(() => formatEvent("x", { event: "a\nevent: admin" })).toThrow('"a\\nevent: admin"');
  });
});

describe("assertions", () => {
  it("reject non-string names and ids", () => {
    expect(() => assertEventName(3)).toThrow(TypeError);
    expect(() => assertEventId(7)).toThrow(/id must be a string, got 7/);
    expect(() => assertRetry(undefined)).toThrow(TypeError);
  });
});

describe("serializeData", () => {
  it("sends strings verbatim", () => {
    expect(serializeData('{"a":1}')).toBe('{"a":1}');
  });

  it("JSON.stringifies everything else", () => {
    expect(serializeData(1700000000000)).toBe("1700000000000");
    expect(serializeData({ a: [1, "x"] })).toBe('{"a":[1,"x"]}');
    expect(serializeData(null)).toBe("null");
    expect(serializeData(true)).toBe("true");
  });

  it.each([
    ["a BigInt", 10n],
    ["undefined", undefined],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
  ])("throws TypeError for %s", (_name, value) => {
    expect(() => serializeData(value)).toThrow(TypeError);
  });

  it("throws TypeError for a cycle", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => serializeData(cycle)).toThrow(/JSON-serialisable/);
  });
});

describe("formatComment", () => {
  it("writes a comment line followed by a blank line", () => {
    expect(formatComment("hi")).toBe(": hi\n\n");
  });

  it("writes one : line per line, so a line break cannot start a field", () => {
    expect(formatComment("a\ndata: injected\r\nb")).toBe(": a\n: data: injected\n: b\n\n");
    expect(parse(formatComment("a\ndata: injected\r\nb"))).toEqual([]);
  });

  it("writes a bare colon for an empty heartbeat", () => {
    expect(formatComment()).toBe(":\n\n");
  });
});

describe("formatRetry", () => {
  it("writes a block that sets only the reconnection delay", () => {
    expect(formatRetry(2500)).toBe("retry: 2500\n\n");
    expect(parse(formatRetry(2500))).toEqual([]);
  });
});
