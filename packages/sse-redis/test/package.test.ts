import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const redisUrl = inject("redisUrl");

// Creates a channel with the built package, publishes once, prints the id.
const publishOnce = (load: string) => `
${load}
const channel = await createRedisChannel({ url: ${JSON.stringify(redisUrl)}, stream: "sse-redis-test:package" });
process.stdout.write(await channel.publish({ loaded: true }));
await channel.close();
`;

describe("the built package (dist/), as Node loads it by name", () => {
  it("exists: the test command builds it first", () => {
    expect(existsSync(new URL("../dist/index.js", import.meta.url))).toBe(true);
    expect(existsSync(new URL("../dist/index.d.ts", import.meta.url))).toBe(true);
  });

  it("works with import", async () => {
    const script = publishOnce(`const { createRedisChannel } = await import("sse-middleware-redis");`);
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: packageDir });
    expect(stdout).toMatch(/^\d+-\d+$/);
  });

  it("works with require (Node >= 20.19 loads ESM from require)", async () => {
    const script = `(async () => {${publishOnce(`const { createRedisChannel } = require("sse-middleware-redis");`)}})();`;
    const { stdout } = await run(process.execPath, ["--input-type=commonjs", "--no-warnings", "-e", script], {
      cwd: packageDir,
    });
    expect(stdout).toMatch(/^\d+-\d+$/);
  });
});
