import { describe, expect, it } from "vitest";
import { SseParser } from "../src/load/sse-parser.js";

function parse(pieces: string[], keepData = true): [string, string][] {
  const events: [string, string][] = [];
  const parser = new SseParser((id, data) => events.push([id, data]), keepData);
  for (const piece of pieces) parser.push(piece);
  return events;
}

/** Every way to cut `text` in two, so no boundary can hide a bug. */
function everySplit(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, at) => [text.slice(0, at), text.slice(at)]);
}

describe("SseParser", () => {
  it("dispatches an event at the blank line that ends it, with its id and first data line", () => {
    expect(parse(["id: 1\ndata: a\ndata: b\n\n"])).toEqual([["1", "a"]]);
  });

  it("ends lines at CRLF, CR and LF alike, wherever a chunk boundary falls", () => {
    for (const text of ["id: 1\r\ndata: x\r\n\r\nid: 2\r\ndata: y\r\n\r\n", "id: 1\rdata: x\r\rid: 2\rdata: y\r\r"]) {
      for (const pieces of everySplit(text)) expect(parse(pieces)).toEqual([["1", "x"], ["2", "y"]]);
    }
  });

  it("does not dispatch a block without data, but keeps its id for the next event", () => {
    expect(parse(["id: 7\n\ndata: z\n\n"])).toEqual([["7", "z"]]);
  });

  it("dispatches an empty data field as an (empty) event", () => {
    expect(parse(["id: 1\ndata\n\n", "id: 2\ndata:\n\n"])).toEqual([["1", ""], ["2", ""]]);
  });

  it("ignores comments, event names, retry and unknown fields", () => {
    expect(parse([":hi\n\nevent: message\nretry: 10\nfoo: bar\nid: 3\ndata: q\n\n"])).toEqual([["3", "q"]]);
  });

  it("strips one space after the colon, not two", () => {
    expect(parse(["id:  4\ndata:  v\n\n"])).toEqual([[" 4", " v"]]);
  });

  it("ignores an id containing NUL", () => {
    expect(parse(["id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n"])).toEqual([["1", "a"], ["1", "b"]]);
  });

  it("counts every event when fed one character at a time", () => {
    const text = "id: 1\ndata: {\"t\":1}\n\nid: 2\ndata: {\"t\":2}\n\n";
    expect(parse([...text])).toEqual([["1", '{"t":1}'], ["2", '{"t":2}']]);
  });
});
