import { describe, expect, it } from "vitest";
import { prepareEvent } from "sse-middleware";
import { entryFields, prepareEntry } from "../src/entry.js";
import { PreparedEntries } from "../src/prepared-entries.js";

describe("an event as a stream entry", () => {
  it("comes back as the bytes createChannel would send, and the data as published", () => {
    const cases: [unknown, string | undefined][] = [
      ["plain text", undefined],
      ["two\nlines", "note"],
      ["", undefined],
      [{ n: 1, s: "é\u2028" }, "story"],
      [[1, "two", null], undefined],
      [42, undefined],
      [null, undefined],
      ['"quoted"', undefined],
    ];
    for (const [data, event] of cases) {
      const entry = prepareEntry({ id: "1-0", message: entryFields(data, event) });
      const expected = prepareEvent(data, { event, id: "1-0" });
      expect(entry.event?.text).toBe(expected.text);
      expect(entry.event?.data).toEqual(data);
      expect(entry.event?.event).toBe(event);
      expect(entry.event?.id).toBe("1-0");
    }
  });

  it("rejects what createChannel rejects, with a TypeError", () => {
    expect(() => entryFields(10n, undefined)).toThrow(TypeError);
    expect(() => entryFields(undefined, undefined)).toThrow(TypeError);
    expect(() => entryFields("x", "a\nb")).toThrow(TypeError);
    expect(() => entryFields("x", "")).toThrow(TypeError);
  });

  it("reads other producers' entries: data as text, no event for an entry without data or with a bad event name", () => {
    expect(prepareEntry({ id: "2-0", message: { data: "{not json", encoding: "json" } }).event?.text).toBe(
      "id: 2-0\ndata: {not json\n\n",
    );
    expect(prepareEntry({ id: "3-0", message: { other: "x" } })).toEqual({ id: "3-0", event: undefined });
    expect(prepareEntry({ id: "4-0", message: { data: "x", event: "a\nb" } })).toEqual({ id: "4-0", event: undefined });
  });
});

describe("PreparedEntries", () => {
  it("prepares each entry once, and forgets the oldest past its capacity", () => {
    const entries = new PreparedEntries(2);
    const one = { id: "1-0", message: { data: "one" } };
    const first = entries.get(one);
    expect(entries.get({ ...one })).toBe(first);
    entries.get({ id: "2-0", message: { data: "two" } });
    entries.get({ id: "3-0", message: { data: "three" } });
    expect(entries.get(one)).not.toBe(first);
    expect(entries.get(one)).toEqual(first);
  });
});
