/**
 * How an event is kept in a stream entry, and how an entry becomes an event
 * again. An entry holds `data` (the serialised payload), `event` when the
 * event has a type, `encoding: "json"` when the payload was not a string
 * (so subscribers' filters see the same value the publisher passed), and
 * `topics` (a JSON array of strings) when the event is for some topics only.
 * Entries written by other producers (`XADD key * event note data hi`) are
 * events too; entries without `data`, or whose `topics` is not a JSON array
 * of non-empty strings, are not: a private event is never sent to everyone.
 */
import { prepareEvent, serializeData, type StoredEvent } from "sse-middleware/adapter";

/** One stream entry as read from Redis. */
export interface StreamEntry {
  readonly id: string;
  readonly message: Readonly<Record<string, string>>;
}

/** An entry as the engine takes it: positions are the entry ids. */
export type ChannelEntry = StoredEvent<string>;

/** The fields of the entry that keeps one published event (already validated by the caller). */
export function entryFields(
  data: unknown,
  event: string | undefined,
  topics: readonly string[] | undefined,
): Record<string, string> {
  const fields: Record<string, string> = { data: serializeData(data) };
  if (typeof data !== "string") fields.encoding = "json";
  if (event !== undefined) fields.event = event;
  if (topics !== undefined) fields.topics = JSON.stringify(topics);
  return fields;
}

/**
 * A field of the entry, if the entry has it. Only its own: a field on
 * Object.prototype (a prototype pollution elsewhere in the process) would
 * otherwise make every entry look targeted, encoded or named.
 */
function field(message: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(message, name) ? message[name] : undefined;
}

function payloadOf(message: Readonly<Record<string, string>>, data: string): unknown {
  if (field(message, "encoding") !== "json") return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data; // written by someone else: send it as it is
  }
}

/** The topics field, or undefined when absent; throws when it is not a JSON array of non-empty strings. */
function topicsOf(message: Readonly<Record<string, string>>): readonly string[] | undefined {
  const list = field(message, "topics");
  if (list === undefined) return undefined;
  const topics: unknown = JSON.parse(list);
  if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === "string" && t !== "")) {
    throw new TypeError("not a topic list");
  }
  return Object.freeze(topics as string[]);
}

/**
 * The event an entry carries, validated, serialised and formatted once for
 * every subscriber of this instance, with the entry id as its SSE id.
 * `prepared` is undefined for an entry that is no event, which subscribers
 * pass over.
 */
export function prepareEntry(entry: StreamEntry): ChannelEntry {
  const data = field(entry.message, "data");
  const event = field(entry.message, "event");
  const none: ChannelEntry = { position: entry.id, id: entry.id, prepared: undefined, topics: undefined };
  if (data === undefined) return none;
  try {
    const topics = topicsOf(entry.message);
    return { position: entry.id, id: entry.id, prepared: prepareEvent(payloadOf(entry.message, data), { event, id: entry.id }), topics };
  } catch {
    return none;
  }
}
