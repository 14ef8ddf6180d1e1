import SSE from "express-sse";
import type { Contender } from "../contender.js";

/**
 * express-sse as its README shows it: one `SSE` instance whose `init` is the
 * route, `send(data, event, id)` to publish. Default options: its response
 * head only goes out with the initial (here empty) batch that every new
 * connection makes the instance emit, to every client already connected.
 */
export function createExpressSse(): Contender {
  const stream = new SSE();
  return {
    handlers: [stream.init],
    publish(payload, id) {
      stream.send(payload, undefined, id);
    },
    clients: () => stream.listenerCount("data"),
  };
}
