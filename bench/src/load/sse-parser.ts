/** Receives each dispatched event: its last event id, and its first `data:` line when asked for. */
export type DispatchHandler = (lastEventId: string, firstData: string) => void;

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/**
 * The WHATWG event stream parser, reduced to what counting needs: lines end
 * at CRLF, CR or LF (also when split across chunks); `:` lines are comments;
 * `id` sets the last event id (unless it holds NUL) and persists; a blank
 * line dispatches an event only if at least one `data` field came before it.
 * So an id-only block moves the last event id without counting as an event,
 * exactly as a browser's EventSource behaves.
 *
 * Text is expected as latin1 (one char per byte), which is exact for the
 * ASCII the bench sends and costs no UTF-8 decoding. It works on indices
 * into the chunk rather than slicing each line, because the load generator
 * runs it for every event of every client on the same two cores as the
 * server being measured.
 */
export class SseParser {
  readonly #onDispatch: DispatchHandler;
  readonly #keepData: boolean;
  #carry = "";
  #skipLeadingLf = false;
  #hasData = false;
  #firstData = "";
  #lastEventId = "";

  /** @param keepData whether to hand the first data line to the handler (else ""). */
  constructor(onDispatch: DispatchHandler, keepData = false) {
    this.#onDispatch = onDispatch;
    this.#keepData = keepData;
  }

  push(chunk: string): void {
    const text = this.#carry === "" ? chunk : this.#carry + chunk;
    let start = 0;
    // A CR ending the previous chunk already ended its line; an LF right
    // after it belongs to the same CRLF.
    if (this.#skipLeadingLf) {
      this.#skipLeadingLf = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    const end = text.length;
    if (text.indexOf("\r", start) === -1) {
      for (let lf = text.indexOf("\n", start); lf !== -1; lf = text.indexOf("\n", start)) {
        this.#line(text, start, lf);
        start = lf + 1;
      }
    } else {
      let i = start;
      while (i < end) {
        const code = text.charCodeAt(i);
        if (code !== LF && code !== CR) {
          i += 1;
          continue;
        }
        this.#line(text, start, i);
        if (code === CR) {
          if (i + 1 === end) this.#skipLeadingLf = true;
          else if (text.charCodeAt(i + 1) === LF) i += 1;
        }
        i += 1;
        start = i;
      }
    }
    this.#carry = start === end ? "" : text.slice(start);
  }

  #line(text: string, start: number, end: number): void {
    if (start === end) {
      if (this.#hasData) {
        this.#hasData = false;
        const firstData = this.#firstData;
        this.#firstData = "";
        this.#onDispatch(this.#lastEventId, firstData);
      }
      return;
    }
    if (text.charCodeAt(start) === COLON) return;
    let nameEnd = text.indexOf(":", start);
    if (nameEnd === -1 || nameEnd > end) nameEnd = end;
    let valueStart = nameEnd === end ? end : nameEnd + 1;
    if (valueStart < end && text.charCodeAt(valueStart) === SPACE) valueStart += 1;
    const nameLength = nameEnd - start;
    if (nameLength === 4 && text.startsWith("data", start)) {
      if (!this.#hasData) {
        this.#hasData = true;
        if (this.#keepData) this.#firstData = text.slice(valueStart, end);
      }
    } else if (nameLength === 2 && text.startsWith("id", start)) {
      const id = text.slice(valueStart, end);
      if (id.indexOf("\0") === -1) this.#lastEventId = id;
    }
  }
}
