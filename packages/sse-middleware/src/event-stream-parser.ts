/**
 * The client side of the wire format: an event stream's bytes in, events
 * out, exactly as a browser's EventSource reads them (WHATWG HTML,
 * "Server-sent events", "Event stream interpretation"). Pure: no I/O.
 */

/** One event as a browser dispatches it. */
export interface ServerSentEvent {
  /** The event type: the `event:` field, or `"message"` when there was none (or it was empty). */
  readonly event: string;
  /** The `data:` lines, joined with LF. */
  readonly data: string;
  /**
   * The event's `lastEventId`, as a browser reports it: the last id the
   * stream set at or before this event, whether this event carried one or
   * not ("" until one is set).
   */
  readonly id: string;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const LINE_END = /\r\n|\r|\n/g;
const DIGITS = /^[0-9]+$/;

/**
 * Parses an event stream fed in chunks split anywhere, even inside a UTF-8
 * sequence or between the CR and LF of a line end.
 */
export class EventStreamParser {
  // UTF-8 decode as the spec says: invalid bytes become U+FFFD and one
  // leading BOM is dropped (TextDecoder's defaults).
  readonly #decoder = new TextDecoder("utf-8");
  readonly #onEvent: (event: ServerSentEvent) => void;
  // The start of a line whose end has not arrived.
  #line = "";
  // The last chunk ended in CR: an LF starting the next one ends no second line.
  #afterCR = false;
  #data = "";
  #eventType = "";
  #idBuffer = "";
  #lastEventId = "";
  #retry: number | undefined;

  /**
   * @param lastEventId Where the stream resumes: a browser that reconnects
   * with `Last-Event-ID` keeps that id until the stream sets another.
   */
  constructor(onEvent: (event: ServerSentEvent) => void, lastEventId = "") {
    this.#onEvent = onEvent;
    this.#idBuffer = lastEventId;
    this.#lastEventId = lastEventId;
  }

  /** The last event ID string: what a browser would send back as `Last-Event-ID` ("" for none). */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** The reconnection time the stream set with `retry:`, in ms; undefined if it set none. */
  get retry(): number | undefined {
    return this.#retry;
  }

  /** Takes the next bytes of the stream; dispatches every event they complete. */
  feed(bytes: Uint8Array): void {
    this.#feedText(this.#decoder.decode(bytes, { stream: true }));
  }

  /**
   * The stream is over: an event without its blank line, and a line without
   * its end, are discarded, as the spec says.
   */
  end(): void {
    this.#decoder.decode();
    this.#line = "";
    this.#data = "";
    this.#eventType = "";
  }

  #feedText(text: string): void {
    if (text === "") return;
    let start = this.#afterCR && text.charCodeAt(0) === LF ? 1 : 0;
    this.#afterCR = false;
    for (;;) {
      // Set each time: an event handler may run another parser in between.
      LINE_END.lastIndex = start;
      const match = LINE_END.exec(text);
      if (match === null) break;
      const line = this.#line + text.slice(start, match.index);
      this.#line = "";
      start = LINE_END.lastIndex;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (start === text.length && text.charCodeAt(start - 1) === CR) this.#afterCR = true;
      this.#processLine(line);
    }
    this.#line += text.slice(start);
  }

  #processLine(line: string): void {
    if (line === "") {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === COLON) return; // a comment
    const colon = line.indexOf(":");
    let field = line;
    let value = "";
    if (colon !== -1) {
      field = line.slice(0, colon);
      value = line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    }
    switch (field) {
      case "event":
        this.#eventType = value;
        break;
      case "data":
        this.#data += `${value}\n`;
        break;
      case "id":
        // An id with NUL is ignored, so it can never reach a Last-Event-ID header.
        if (!value.includes("\0")) this.#idBuffer = value;
        break;
      case "retry":
        if (DIGITS.test(value)) this.#retry = parseInt(value, 10);
        break;
      default:
      // Any other field is ignored.
    }
  }

  #dispatch(): void {
    // The id takes effect at every blank line, even one that fires no event.
    this.#lastEventId = this.#idBuffer;
    if (this.#data === "") {
      this.#eventType = "";
      return;
    }
    const event: ServerSentEvent = {
      event: this.#eventType === "" ? "message" : this.#eventType,
      data: this.#data.slice(0, -1),
      id: this.#lastEventId,
    };
    this.#data = "";
    this.#eventType = "";
    this.#onEvent(event);
  }
}
