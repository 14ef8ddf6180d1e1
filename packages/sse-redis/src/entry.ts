/**
 * How an event is kept in a stream entry, and how an entry becomes an event
 * again. An entry holds `data` (the serialised payload), `event` when the
 * event has a type, and `encoding: "json"` when the payload was not a
 * string, so subscribers' filters see the same value the publisher passed.
 * Entries written by other producers (`XADD key * event note data hi`) are
 * events too; entries without `data` are not.
 */
import { assertEventName, PreparedEvent, prepareEvent, serializeData } from "sse-middleware";

/** One stream entry as read from Redis. */
export interface StreamEntry {
  readonly id: string;
  readonly message: Readonly<Record<string, string>>;
}

/** An entry as the channel fans it out: its id, and its event (none for an entry without data). */
export interface ChannelEntry {
  readonly id: string;
  readonly event: PreparedEvent | undefined;
}

/**
 * The fields of the entry that keeps one published event.
 * @throws TypeError as `createChannel().publish` does, for data JSON cannot
 * represent or a bad event name.
 */
export function entryFields(data: unknown, event: string | undefined): Record<string, string> {
  if (event !== undefined) assertEventName(event);
  const serialised = serializeData(data);
  const fields: Record<string, string> = { data: serialised };
  if (typeof data !== "string") fields.encoding = "json";
  if (event !== undefined) fields.event = event;
  return fields;
}

function payloadOf(message: Readonly<Record<string, string>>, data: string): unknown {
  if (message.encoding !== "json") return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data; // written by someone else: send it as it is
  }
}

/**
 * The event an entry carries, validated, serialised and formatted once for
 * every subscriber of this instance, with the entry id as its SSE id.
 * Undefined for an entry without `data` or with a field an event cannot
 * carry, which subscribers skip.
 */
export function prepareEntry(entry: StreamEntry): ChannelEntry {
  const { data, event } = entry.message;
  if (data === undefined) return { id: entry.id, event: undefined };
  try {
    return { id: entry.id, event: prepareEvent(payloadOf(entry.message, data), { event, id: entry.id }) };
  } catch {
    return { id: entry.id, event: undefined };
  }
}
