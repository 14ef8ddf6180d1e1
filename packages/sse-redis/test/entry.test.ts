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
      const entry = prepareEntry({ id: "1-0", message: entryFields(data, event, undefined) });
      const expected = prepareEvent(data, { event, id: "1-0" });
      expect(entry.prepared?.text).toBe(expected.text);
      expect(entry.prepared?.data).toEqual(data);
      expect(entry.prepared?.event).toBe(event);
      expect(entry.prepared?.id).toBe("1-0");
      expect(entry.topics).toBeUndefined();
    }
  });

  it("keeps an event's topics, and reads them back", () => {
    const fields = entryFields("hi", "note", ["user:1", "news"]);
    expect(fields).toEqual({ data: "hi", event: "note", topics: '["user:1","news"]' });
    expect(prepareEntry({ id: "1-0", message: fields }).topics).toEqual(["user:1", "news"]);
  });

  it("rejects data JSON cannot represent, with a TypeError", () => {
    expect(() => entryFields(10n, undefined, undefined)).toThrow(TypeError);
    expect(() => entryFields(undefined, undefined, undefined)).toThrow(TypeError);
  });

  it("never makes an event for everyone of an entry whose topics it cannot read", () => {
    for (const topics of ["news", "[]", "[1]", '[""]', "{}", "[\"a\""]) {
      const entry = prepareEntry({ id: "5-0", message: { data: "private", topics } });
      expect(entry.prepared, topics).toBeUndefined();
    }
  });

  it("reads other producers' entries: data as text, no event for an entry without data or with a bad event name", () => {
    expect(prepareEntry({ id: "2-0", message: { data: "{not json", encoding: "json" } }).prepared?.text).toBe(
      "id: 2-0\ndata: {not json\n\n",
    );
    const none = (id: string) => ({ position: id, id, prepared: undefined, topics: undefined });
    expect(prepareEntry({ id: "3-0", message: { other: "x" } })).toEqual(none("3-0"));
    expect(prepareEntry({ id: "4-0", message: { data: "x", event: "a\nb" } })).toEqual(none("4-0"));
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
