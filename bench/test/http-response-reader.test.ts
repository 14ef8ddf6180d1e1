import { describe, expect, it } from "vitest";
import { HttpResponseReader, type ResponseHead } from "../src/load/http-response-reader.js";

function read(pieces: string[]): { head: ResponseHead | undefined; body: string; done: boolean } {
  let head: ResponseHead | undefined;
  let body = "";
  const reader = new HttpResponseReader(
    (h) => (head = h),
    (piece) => (body += piece),
  );
  for (const piece of pieces) reader.push(piece);
  return { head, body, done: reader.done };
}

const chunked =
  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "6\r\nid: 1\n\r\n" +
  "b;ext=1\r\ndata: x\n\nid\r\n" +
  "0\r\n\r\n";

describe("HttpResponseReader", () => {
  it("reads the status and removes chunked framing", () => {
    expect(read([chunked])).toEqual({ head: { status: 200, chunked: true }, body: "id: 1\ndata: x\n\nid", done: true });
  });

  it("gives the same body wherever the reads split the response", () => {
    for (let at = 0; at <= chunked.length; at += 1) {
      for (let second = at; second <= chunked.length; second += 7) {
        const pieces = [chunked.slice(0, at), chunked.slice(at, second), chunked.slice(second)];
        expect(read(pieces).body).toBe("id: 1\ndata: x\n\nid");
      }
    }
  });

  it("passes a body without chunked coding through as it is", () => {
    expect(read(["HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc", "def"])).toEqual({
      head: { status: 200, chunked: false },
      body: "abcdef",
      done: false,
    });
  });

  it("rejects what is not an HTTP/1 response", () => {
    expect(() => read(["SSH-2.0-x\r\n\r\n"])).toThrow(/not an HTTP\/1.x response/);
  });
});
