import { describe, expect, it } from "vitest";
import { makePayload, readPublishTime, readSequence } from "../src/payload.js";

describe("payload", () => {
  it("is exactly the asked size and gives back its time and number", () => {
    for (const sequence of [1, 42, 1_000_000]) {
      const payload = makePayload(100, sequence);
      const json = JSON.stringify(payload);
      expect(json).toHaveLength(100);
      expect(readSequence(json)).toBe(sequence);
      expect(readPublishTime(json)).toBe(payload.t);
    }
  });

  it("reads NaN from text that is not a payload", () => {
    expect(readSequence('{"n":3}')).toBeNaN();
    expect(readSequence('{"t":1,"pad":""}')).toBeNaN();
    expect(readSequence("")).toBeNaN();
  });
});
