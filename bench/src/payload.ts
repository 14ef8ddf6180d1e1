import { wallClockMs } from "./clock.js";

/**
 * What every contender publishes: its publish time and its place in the
 * sequence, padded to a fixed JSON size.
 */
export interface Payload {
  /** Publish time, by {@link wallClockMs}. */
  t: number;
  /**
   * The event's number, 1, 2, 3, …, the same as the id the bench asks for.
   * A channel that assigns ids of its own (Redis's entry ids) cannot carry
   * the bench's, so clients of such a channel count by this instead.
   */
  n: number;
  pad: string;
}

/**
 * A payload stamped now whose `JSON.stringify` is exactly `bytes` long (or
 * as short as the timestamp and number allow), so every contender puts the
 * same data on the wire.
 */
export function makePayload(bytes: number, sequence: number): Payload {
  const t = wallClockMs();
  const bare = JSON.stringify({ t, n: sequence, pad: "" }).length;
  return { t, n: sequence, pad: "x".repeat(Math.max(0, bytes - bare)) };
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

/**
 * Reads `n` back out of a payload's JSON text, as cheaply as
 * {@link readPublishTime} reads `t`.
 * @returns NaN when the text does not hold a {@link Payload}'s `n`.
 */
export function readSequence(json: string): number {
  const key = json.indexOf(',"n":', 5);
  if (key === -1 || !json.startsWith('{"t":')) return Number.NaN;
  const end = json.indexOf(",", key + 5);
  return Number(json.slice(key + 5, end === -1 ? undefined : end));
}
