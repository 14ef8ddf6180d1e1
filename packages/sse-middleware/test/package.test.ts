import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));

// Serves one event with the built package and reads it back over HTTP.
const serveOneEvent = (load: string) => `
${load}
const http = require("node:http");
const middleware = sse();
const server = http.createServer((req, res) => middleware(req, res, () => {
  res.sse.send({ loaded: typeof sse }, { id: "1" });
  res.sse.close();
}));
server.listen(0, "127.0.0.1", async () => {
  const response = await fetch("http://127.0.0.1:" + server.address().port + "/");
  process.stdout.write(response.headers.get("content-type") + "\\n" + (await response.text()));
  server.close();
});
`;

describe("the built package (dist/), as Node loads it by name", () => {
  it("exists: the test command builds it first", () => {
    expect(existsSync(new URL("../dist/index.js", import.meta.url))).toBe(true);
    expect(existsSync(new URL("../dist/index.d.ts", import.meta.url))).toBe(true);
  });

  it("works with import", async () => {
    const script = serveOneEvent(`const { sse } = await import("sse-middleware"); const { createRequire } = await import("node:module"); const require = createRequire(import.meta.url);`);
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: packageDir });
    expect(stdout).toBe('text/event-stream\nid: 1\ndata: {"loaded":"function"}\n\n');
  });

  it("works with require (Node >= 20.19 loads ESM from require)", async () => {
    const script = serveOneEvent(`const { sse } = require("sse-middleware");`);
    const { stdout } = await run(process.execPath, ["--input-type=commonjs", "--no-warnings", "-e", script], {
      cwd: packageDir,
    });
    expect(stdout).toBe('text/event-stream\nid: 1\ndata: {"loaded":"function"}\n\n');
  });

  it("reads a route with sse-middleware/testing through require (its CommonJS entry)", async () => {
    // The route is served and read in one process, both through require().
    const script = `
const { sse } = require("sse-middleware");
const { openEventStream } = require("sse-middleware/testing");
const listener = (req, res) => sse()(req, res, () => { res.sse.send("hi", { id: "1" }); res.sse.close(); });
openEventStream(listener, "/").then(async (stream) => {
  process.stdout.write(JSON.stringify(await stream.next()));
  await stream.close();
});`;
    const { stdout } = await run(process.execPath, ["--input-type=commonjs", "--no-warnings", "-e", script], { cwd: packageDir });
    expect(JSON.parse(stdout)).toEqual({ event: "message", data: "hi", id: "1" });
  });
});
