import type { IncomingMessage, ServerResponse } from "node:http";
import http2 from "node:http2";
import { sse, type SseController } from "sse-middleware";

/** HTTP/2 straight from Node (and HTTP/1.1 for older clients), with one event stream at /hello. */
export function createHelloServer(tls: { key: Buffer; cert: Buffer }): http2.Http2SecureServer {
  const events = sse();
  return http2.createSecureServer({ allowHTTP1: true, ...tls }, (req, res) => {
    if (req.url !== "/hello") {
      res.writeHead(404).end();
      return;
    }
    // sse() is typed for node:http's request and response; the http2
    // compatibility API's work the same way.
    events(req as unknown as IncomingMessage, res as unknown as ServerResponse, () => {
      const stream = (res as unknown as { sse: SseController }).sse;
      stream.send("hello", { id: "1" });
      stream.send({ over: req.httpVersion }, { event: "protocol", id: "2" });
      stream.close();
    });
  });
}
