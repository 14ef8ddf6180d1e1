/**
 * Redis stream entry ids, `<milliseconds>-<sequence>`, as the SSE ids of a
 * Redis channel. Pure functions: no I/O.
 */

// Each part is an unsigned 64-bit integer. Leading zeros are refused so that
// an id has one spelling, the one Redis prints: a client's "01-0" would name
// entry 1-0 to Redis but never equal the id it was sent.
const STREAM_ID = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/;
const MAX_PART = "18446744073709551615";

/** The id before every entry: reading after it reads the whole stream. */
export const STREAM_START = "0-0";

function partFits(part: string): boolean {
  return part.length < MAX_PART.length || (part.length === MAX_PART.length && part <= MAX_PART);
}

/** Whether `value` is an entry id in the form Redis gives them (`1700000000000-0`). */
export function isStreamId(value: string): boolean {
  const match = STREAM_ID.exec(value);
  return match !== null && partFits(match[1]!) && partFits(match[2]!);
}

// Without leading zeros, a longer number is larger, and equal lengths
// compare as strings: no BigInt needed on the hot path.
function compareParts(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders two ids as Redis orders entries: negative when `a` comes first,
 * zero when equal, positive when `a` comes later. Both must pass
 * {@link isStreamId}.
 */
export function compareStreamIds(a: string, b: string): number {
  const dashA = a.indexOf("-");
  const dashB = b.indexOf("-");
  return (
    compareParts(a.slice(0, dashA), b.slice(0, dashB)) || compareParts(a.slice(dashA + 1), b.slice(dashB + 1))
  );
}
