/**
 * The wire format of Server-Sent Events (WHATWG HTML, "Server-sent events"),
 * as pure functions: values in, the exact text to put on the wire out.
 * Nothing here knows about sockets, Express or channels.
 *
 * Every field is written as `name: value\n` with exactly one space, which is
 * the one space a parser strips, so a value's own leading space survives.
 * Lines end in LF only. An event ends with a blank line.
 */

/** The optional fields of one event. */
export interface EventFields {
  /** The event type; the client dispatches it under this name instead of `message`. */
  event?: string | undefined;
  /** The event id, echoed back by a reconnecting client as `Last-Event-ID`. */
  id?: string | undefined;
  /** The client's reconnection delay, in milliseconds. */
  retry?: number | undefined;
}

// A parser ends a line at CRLF, a lone CR or a lone LF. Any of them inside a
// value would end the field early and let the rest read as a new field.
const LINE_BREAK = /\r\n|\r|\n/;

// A lone surrogate reaches the client as U+FFFD. In data that is harmless,
// but an id or event name would then never match what the server holds.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Describes a value for an error message without dumping a whole payload. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || typeof value === "function") return String(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/**
 * Checks an event type. It must be a non-empty, well-formed string with no
 * CR or LF: a line break would inject fields, and an empty name reads as
 * `message`.
 * @throws TypeError naming the value and the rule.
 */
export function assertEventName(event: unknown): asserts event is string {
  if (typeof event !== "string") {
    throw new TypeError(`SSE event name must be a string, got ${describeValue(event)}`);
  }
  if (event === "") {
    throw new TypeError('SSE event name must not be empty (an empty name is dispatched as "message")');
  }
  if (/[\r\n]/.test(event)) {
    throw new TypeError(`SSE event name must not contain CR or LF, got ${describeValue(event)}`);
  }
  if (LONE_SURROGATE.test(event)) {
    throw new TypeError(`SSE event name must be well-formed Unicode (no lone surrogate), got ${describeValue(event)}`);
  }
}

/**
 * The longest id, in UTF-8 bytes, that a client can send back: a longer
 * `Last-Event-ID` is treated as absent.
 */
export const MAX_ID_BYTES = 1024;

/**
 * Checks an event id. A client sends the id back in the `Last-Event-ID`
 * header to resume, so it must survive that trip: a well-formed string of at
 * most {@link MAX_ID_BYTES} UTF-8 bytes, without CR, LF or NUL (a line
 * break would inject fields, and a parser ignores an id with NUL), without
 * other control characters (Node's HTTP parser rejects them in headers), and
 * without leading or trailing spaces (HTTP strips them).
 * @throws TypeError naming the value and the rule.
 */
export function assertEventId(id: unknown): asserts id is string {
  const problem = eventIdProblem(id);
  if (problem !== undefined) throw new TypeError(`SSE id ${problem}, got ${describeValue(id)}`);
}

/** Why `id` is not a valid event id (see {@link assertEventId}), or undefined when it is. */
export function eventIdProblem(id: unknown): string | undefined {
  if (typeof id !== "string") return "must be a string";
  if (/[\r\n\0]/.test(id)) return "must not contain CR, LF or NUL";
  if (/[\x01-\x08\x0B\x0C\x0E-\x1F\x7F]/.test(id)) {
    return "must not contain control characters (they cannot come back in Last-Event-ID)";
  }
  if (/^[ \t]|[ \t]$/.test(id)) return "must not start or end with a space or tab (HTTP strips them from Last-Event-ID)";
  if (LONE_SURROGATE.test(id)) return "must be well-formed Unicode (no lone surrogate)";
  if (id.length > MAX_ID_BYTES / 3 && Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) {
    return `must be at most ${MAX_ID_BYTES} bytes of UTF-8`;
  }
  return undefined;
}

/**
 * Checks a reconnection delay: the spec accepts only ASCII digits, so it must
 * be a non-negative safe integer.
 * @throws TypeError naming the value and the rule.
 */
export function assertRetry(retry: unknown): asserts retry is number {
  if (typeof retry !== "number" || !Number.isSafeInteger(retry) || retry < 0) {
    throw new TypeError(`SSE retry must be a non-negative integer of milliseconds, got ${describeValue(retry)}`);
  }
}

/** No fields, with no prototype to inherit any from: the default wherever fields are optional. */
export const NO_FIELDS: EventFields = Object.freeze(Object.create(null) as EventFields);

/**
 * The fields `fields` has of its own. Inherited ones are not fields: an
 * `id` or `event` that a prototype pollution elsewhere in the process put
 * on Object.prototype must never reach the wire.
 */
export function ownEventFields(fields: EventFields): EventFields {
  return {
    event: Object.hasOwn(fields, "event") ? fields.event : undefined,
    id: Object.hasOwn(fields, "id") ? fields.id : undefined,
    retry: Object.hasOwn(fields, "retry") ? fields.retry : undefined,
  };
}

/** Checks every field that is present; see the `assert*` functions for the rules. */
export function assertEventFields(fields: EventFields): void {
  if (fields.event !== undefined) assertEventName(fields.event);
  if (fields.id !== undefined) assertEventId(fields.id);
  if (fields.retry !== undefined) assertRetry(fields.retry);
}

/**
 * Turns a payload into the text of an event's data: strings verbatim,
 * everything else through `JSON.stringify`.
 * @throws TypeError when JSON cannot represent the value (undefined, a
 * function, a symbol, a BigInt, a cycle).
 */
export function serializeData(data: unknown): string {
  if (typeof data === "string") return data;
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(`SSE data must be a string or JSON-serialisable, got ${describeValue(data)}: ${reason}`);
  }
  if (json === undefined) {
    throw new TypeError(`SSE data must be a string or JSON-serialisable, got ${describeValue(data)}`);
  }
  return json;
}

/** Writes `name: line\n` for each line of `text`, splitting on CRLF, CR and LF. */
function formatLines(name: string, text: string): string {
  // Fast path: most payloads (JSON, numbers) are one line.
  if (text.indexOf("\n") === -1 && text.indexOf("\r") === -1) return `${name}: ${text}\n`;
  let out = "";
  for (const line of text.split(LINE_BREAK)) out += `${name}: ${line}\n`;
  return out;
}

/**
 * Formats one event. `data` is sent verbatim and split into one `data:` line
 * per line, so `""` becomes `data: \n\n`, an empty message that still fires.
 * Fields are validated first; nothing is returned for invalid input.
 * @throws TypeError for an invalid event name, id or retry.
 */
export function formatEvent(data: string, fields: EventFields = NO_FIELDS): string {
  const own = ownEventFields(fields);
  assertEventFields(own);
  return formatValidatedEvent(data, own);
}

/**
 * {@link formatEvent} for fields that are already validated; for hot paths
 * that validate once and format many times.
 */
export function formatValidatedEvent(data: string, fields: EventFields): string {
  let out = "";
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event !== undefined) out += `event: ${fields.event}\n`;
  if (fields.retry !== undefined) out += `retry: ${fields.retry}\n`;
  return `${out}${formatLines("data", data)}\n`;
}

/**
 * Formats a comment, which clients ignore; it keeps idle connections alive
 * through proxies. Each line of the text becomes its own `:` line, so a line
 * break cannot turn the rest into a field.
 */
export function formatComment(text?: string): string {
  if (text === undefined || text === "") return ":\n\n";
  if (typeof text !== "string") {
    throw new TypeError(`SSE comment must be a string, got ${describeValue(text)}`);
  }
  return `${formatLines("", text)}\n`;
}

const preparing = Symbol("sse-middleware.prepareEvent");
/**
 * How many events a prepared chunk carries: 1 for `prepareEvent`, 0 for an
 * id-only block (a browser fires nothing for it), the sum for a join. Kept
 * on the chunk so a stream counts a joined tick with one addition.
 * Registered globally, as the brand is. @internal
 */
export const eventCount = Symbol.for("sse-middleware.PreparedEvent.eventCount");
// Shared through the global symbol registry, so an event made by another
// copy of this package (an adapter that brought its own) is still known.
const preparedBrand = Symbol.for("sse-middleware.PreparedEvent");

/**
 * An event validated, serialised and formatted once, to be written to any
 * number of streams with `res.sse.sendPrepared()`: fan-out pays for
 * `JSON.stringify` and UTF-8 encoding once, not once per client. Made only by
 * {@link prepareEvent}, so its text is always well-formed.
 */
export class PreparedEvent {
  /** The payload as given (before serialisation). */
  readonly data: unknown;
  /** The event type, if any. */
  readonly event: string | undefined;
  /** The event id, if any. */
  readonly id: string | undefined;
  /** The exact text this event puts on the wire. */
  readonly text: string;
  #bytes: Buffer | undefined;
  /** @internal Marks events made by any copy of this package; see {@link isPreparedEvent}. */
  readonly [preparedBrand] = true;
  /** @internal How many events this chunk carries; see {@link eventCount}. */
  readonly [eventCount]: number;

  /** @internal Use {@link prepareEvent}. */
  constructor(token: typeof preparing, data: unknown, fields: EventFields, text: string, events = 1) {
    if (token !== preparing) throw new TypeError("PreparedEvent is made by prepareEvent(), not constructed");
    this.data = data;
    this.event = fields.event;
    this.id = fields.id;
    this.text = text;
    this[eventCount] = events;
  }

  /** The wire text as UTF-8, encoded on first use and shared by every write. */
  get bytes(): Buffer {
    return (this.#bytes ??= Buffer.from(this.text, "utf8"));
  }
}

/** Whether `value` was made by `prepareEvent()`, by this copy of the package or another. */
export function isPreparedEvent(value: unknown): value is PreparedEvent {
  return typeof value === "object" && value !== null && (value as { [preparedBrand]?: unknown })[preparedBrand] === true;
}

/**
 * Validates, serialises and formats an event once, for writing to many
 * streams.
 * @throws TypeError as {@link formatEvent} and {@link serializeData} do.
 */
export function prepareEvent(data: unknown, fields: EventFields = NO_FIELDS): PreparedEvent {
  const own = ownEventFields(fields);
  assertEventFields(own);
  return new PreparedEvent(preparing, data, own, formatValidatedEvent(serializeData(data), own));
}

/**
 * Several prepared events as one, in order: a channel hands a tick's events
 * to each subscriber as this single chunk, encoded once for all of them. It
 * has no data, type or id of its own.
 * @internal
 */
export function joinPreparedEvents(events: readonly PreparedEvent[]): PreparedEvent {
  let count = 0;
  for (const event of events) count += eventsIn(event);
  return new PreparedEvent(preparing, undefined, {}, events.map((event) => event.text).join(""), count);
}

/** How many events a prepared chunk carries (one for a chunk made by a copy of the package that did not count). */
export function eventsIn(event: PreparedEvent): number {
  return event[eventCount] ?? 1;
}

/**
 * A block with only an `id:` field. It sets the client's last event id
 * without firing an event (WHATWG: the id is taken, then an empty data
 * buffer returns without dispatch), so a client that joined in silence still
 * resumes from the right place.
 */
export function prepareLastEventId(id: string): PreparedEvent {
  assertEventId(id);
  return new PreparedEvent(preparing, undefined, { id }, `id: ${id}\n\n`, 0);
}

/** Formats a block that only sets the client's reconnection delay. */
export function formatRetry(retry: number): string {
  assertRetry(retry);
  return `retry: ${retry}\n\n`;
}
