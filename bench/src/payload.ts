import { wallClockMs } from "./clock.js";

/** What every contender publishes: its publish time, padded to a fixed JSON size. */
export interface Payload {
  /** Publish time, by {@link wallClockMs}. */
  t: number;
  pad: string;
}

/**
 * A payload stamped now whose `JSON.stringify` is exactly `bytes` long (or
 * as short as the timestamp allows), so every contender puts the same data
 * on the wire.
 */
export function makePayload(bytes: number): Payload {
  const t = wallClockMs();
  const bare = JSON.stringify({ t, pad: "" }).length;
  return { t, pad: "x".repeat(Math.max(0, bytes - bare)) };
}

/**
 * Reads `t` back out of a payload's JSON text without parsing the rest: the
 * load generator does this once per event per client, so it must be cheap.
 * @returns NaN when the text does not start like a {@link Payload}.
 */
export function readPublishTime(json: string): number {
  if (!json.startsWith('{"t":')) return Number.NaN;
  const end = json.indexOf(",", 5);
  return Number(json.slice(5, end === -1 ? undefined : end));
}
