/**
 * The first tick a client should get, from the `Last-Event-ID` it sent:
 * the tick after the last one it saw, 1 for a new client (or an id that is
 * not a tick), and `undefined` when it has seen them all.
 */
export function firstTickAfter(lastEventId: string | undefined, ticks: number): number | undefined {
  if (lastEventId === undefined || !/^\d{1,9}$/.test(lastEventId)) return 1;
  const seen = Number(lastEventId);
  if (seen >= ticks) return undefined;
  return seen + 1;
}
