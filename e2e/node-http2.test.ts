import { readFile, rm, mkdtemp } from "node:fs/promises";
import http2 from "node:http2";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHelloServer } from "./examples/node-http2.js";
import { makeCertificate } from "./proxies.js";

let dir: string;
let server: http2.Http2SecureServer;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sse-e2e-node-http2-"));
  const { keyFile, certFile } = await makeCertificate(dir);
  server = createHelloServer({ key: await readFile(keyFile), cert: await readFile(certFile) });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const expectedBody = 'id: 1\ndata: hello\n\nid: 2\nevent: protocol\ndata: {"over":"2.0"}\n\n';

describe("docs/deploy.md's server on Node's own http2, with a plain handler and sse()", () => {
  it("streams the events over HTTP/2, with no connection headers", async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    const request = session.request({ ":path": "/hello" });
    request.end();
    const [headers, body] = await Promise.all([
      new Promise<http2.IncomingHttpHeaders>((resolve) => request.once("response", resolve)),
      new Promise<string>((resolve) => {
        let text = "";
        request.setEncoding("utf8");
        request.on("data", (chunk: string) => (text += chunk));
        request.on("end", () => resolve(text));
      }),
    ]);
    session.close();
    expect(headers[":status"]).toBe(200);
    expect(headers["content-type"]).toBe("text/event-stream");
    expect(headers["cache-control"]).toBe("no-cache, no-transform");
    expect(headers.connection).toBeUndefined();
    expect(body).toBe(expectedBody);
  });

  it("still answers HTTP/1.1 clients, the same events", async () => {
    const body = await new Promise<{ status?: number; version: string; text: string }>((resolve, reject) => {
      const request = https.get({ host: "127.0.0.1", port, path: "/hello", rejectUnauthorized: false }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode, version: response.httpVersion, text }));
      });
      request.on("error", reject);
    });
    expect(body).toEqual({ status: 200, version: "1.1", text: expectedBody.replace('"2.0"', '"1.1"') });
  });
});
