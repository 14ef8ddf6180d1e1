import { describe, expect, it } from "vitest";
import { compareStreamIds, isStreamId } from "../src/stream-id.js";

describe("isStreamId", () => {
  it("accepts ids as Redis gives them: milliseconds, a dash, a sequence number", () => {
    for (const id of ["0-0", "0-1", "1700000000000-0", "1700000000000-42", "18446744073709551615-18446744073709551615"]) {
      expect(isStreamId(id)).toBe(true);
    }
  });

  it("refuses anything else, so it never reaches Redis as a range bound", () => {
    for (const id of ["", "5", "-", "+", "$", "1-", "-1", "1--1", "01-0", "1-01", "1-0 ", " 1-0", "a-b", "1.5-0", "1-0-0"]) {
      expect(isStreamId(id), id).toBe(false);
    }
  });

  it("refuses parts beyond 64 bits", () => {
    expect(isStreamId("18446744073709551616-0")).toBe(false);
    expect(isStreamId("0-18446744073709551616")).toBe(false);
    expect(isStreamId("100000000000000000000-0")).toBe(false);
  });
});

describe("compareStreamIds", () => {
  it("orders by milliseconds, then by sequence, numerically", () => {
    const sorted = ["0-0", "0-1", "9-0", "9-10", "10-0", "10-2", "1700000000000-0", "18446744073709551615-0"];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareStreamIds)).toEqual(sorted);
    expect(compareStreamIds("5-5", "5-5")).toBe(0);
    expect(compareStreamIds("9-9", "10-0")).toBeLessThan(0);
    expect(compareStreamIds("10-0", "9-9")).toBeGreaterThan(0);
  });
});
