/** What the response head said. */
export interface ResponseHead {
  status: number;
  chunked: boolean;
}

const HEAD = 0;
const SIZE = 1;
const DATA = 2;
const DATA_END = 3;
const RAW = 4;
const DONE = 5;
type State = typeof HEAD | typeof SIZE | typeof DATA | typeof DATA_END | typeof RAW | typeof DONE;

const MAX_HEAD_CHARS = 64 * 1024;

/**
 * Reads an HTTP/1.1 response off a raw socket, as latin1 text: the status
 * line and headers, then the body with chunked transfer coding removed,
 * handed on piece by piece. Raw sockets rather than `http.request`, because
 * ten thousand clients' streams through Node's client machinery would cost
 * the load generator more CPU than the server under test spends.
 */
export class HttpResponseReader {
  readonly #onHead: (head: ResponseHead) => void;
  readonly #onBody: (piece: string) => void;
  #state: State = HEAD;
  #pending = "";
  #chunkLeft = 0;

  constructor(onHead: (head: ResponseHead) => void, onBody: (piece: string) => void) {
    this.#onHead = onHead;
    this.#onBody = onBody;
  }

  /** Whether the body has ended (the last chunk arrived). */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** @throws Error for a response that is not HTTP/1.x or is badly framed. */
  push(chunk: string): void {
    let text = chunk;
    let i = 0;
    while (i < text.length) {
      switch (this.#state) {
        case HEAD: {
          const head = this.#pending + text.slice(i);
          const headEnd = head.indexOf("\r\n\r\n");
          if (headEnd === -1) {
            if (head.length > MAX_HEAD_CHARS) throw new Error("response head too long");
            this.#pending = head;
            return;
          }
          this.#pending = "";
          const parsed = parseHead(head.slice(0, headEnd));
          this.#state = parsed.chunked ? SIZE : RAW;
          this.#onHead(parsed);
          text = head.slice(headEnd + 4);
          i = 0;
          break;
        }
        case SIZE: {
          // A size line may arrive in pieces, even with its CRLF split.
          if (this.#pending !== "") {
            text = this.#pending + text.slice(i);
            i = 0;
            this.#pending = "";
          }
          const lineEnd = text.indexOf("\r\n", i);
          if (lineEnd === -1) {
            this.#pending = text.slice(i);
            return;
          }
          const line = text.slice(i, lineEnd);
          i = lineEnd + 2;
          const semicolon = line.indexOf(";");
          const size = Number.parseInt(semicolon === -1 ? line : line.slice(0, semicolon), 16);
          if (!Number.isSafeInteger(size) || size < 0) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
          if (size === 0) {
            this.#state = DONE;
            return;
          }
          this.#chunkLeft = size;
          this.#state = DATA;
          break;
        }
        case DATA: {
          const take = Math.min(this.#chunkLeft, text.length - i);
          this.#onBody(i === 0 && take === text.length ? text : text.slice(i, i + take));
          i += take;
          this.#chunkLeft -= take;
          if (this.#chunkLeft === 0) this.#state = DATA_END;
          break;
        }
        case DATA_END: {
          // The CRLF after a chunk's data, possibly split across reads.
          const needed = 2 - this.#pending.length;
          const taken = text.slice(i, i + needed);
          this.#pending += taken;
          i += taken.length;
          if (this.#pending.length === 2) {
            if (this.#pending !== "\r\n") throw new Error("chunk data not followed by CRLF");
            this.#pending = "";
            this.#state = SIZE;
          }
          break;
        }
        case RAW:
          this.#onBody(i === 0 ? text : text.slice(i));
          return;
        case DONE:
          return;
      }
    }
  }
}

function parseHead(head: string): ResponseHead {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (match === null) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`);
  return { status: Number(match[1]), chunked: /\r\ntransfer-encoding:[ \t]*chunked/i.test(head) };
}
