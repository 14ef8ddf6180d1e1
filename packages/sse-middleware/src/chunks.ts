import type { PreparedEvent } from "./format.js";

/** Text bound for one connection: its own string, or an event shared by many. */
export type Chunk = string | PreparedEvent;

// The last join, kept for the next connection in the same flush: subscribers
// of one channel receive the same events in the same order, so their chunk
// lists are equal item for item and one copy serves them all.
let lastChunks: Chunk[] = [];
let lastJoined: Buffer | undefined;

/**
 * What one write carries for a connection's chunks this tick: a shared
 * event's bytes as they are, a connection's own string as it is, and several
 * chunks joined into one buffer, reused while consecutive connections have
 * the same chunks.
 */
export function joinChunks(chunks: Chunk[]): string | Buffer {
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return typeof only === "string" ? only : only.bytes;
  }
  if (lastJoined !== undefined && sameChunks(chunks, lastChunks)) return lastJoined;
  const buffers = chunks.map((chunk) => (typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk.bytes));
  lastChunks = chunks.slice();
  lastJoined = Buffer.concat(buffers);
  return lastJoined;
}

/** Drops the cached join, so it does not hold memory between flushes. */
export function forgetJoin(): void {
  lastChunks = [];
  lastJoined = undefined;
}

function sameChunks(a: Chunk[], b: Chunk[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytes a chunk will take on the wire (strings approximated by length, which is exact for ASCII). */
export function chunkSize(chunk: Chunk): number {
  return typeof chunk === "string" ? chunk.length : chunk.bytes.length;
}
