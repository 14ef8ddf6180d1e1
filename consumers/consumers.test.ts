import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer } from "sse-testkit/redis-server";
import { packPackage, root } from "./pack.js";

const run = promisify(execFile);
let coreTarball: string;
let redisTarball: string;
const workDirs: string[] = [];

beforeAll(() => {
  coreTarball = packPackage("packages/sse-middleware");
  redisTarball = packPackage("packages/sse-redis");
});
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** Copies an app from consumers/apps into a fresh temporary directory and installs it with npm. */
async function installApp(name: string, tarballs: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `sse-consumer-${name}-`));
  workDirs.push(dir);
  cpSync(join(root, "consumers", "apps", name), dir, { recursive: true });
  await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs], { cwd: dir });
  return dir;
}

/** Starts the app's server, waits for "LISTENING <port>", returns the base URL and the process. */
function startApp(dir: string, script: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match) resolve({ url: `http://127.0.0.1:${match[1]}`, child });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (data: Buffer) => (output += data.toString()));
    child.on("exit", (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
}

async function readEvents(url: string): Promise<{ contentType: string | null; events: EventSourceMessage[] }> {
  const response = await fetch(url);
  const events: EventSourceMessage[] = [];
  createParser({ onEvent: (event) => events.push(event) }).feed(await response.text());
  return { contentType: response.headers.get("content-type"), events };
}

async function expectGreeting(dir: string, script: string, who: string): Promise<void> {
  const { url, child } = await startApp(dir, script);
  try {
    const { contentType, events } = await readEvents(`${url}/events`);
    expect(contentType).toBe("text/event-stream");
    expect(events).toEqual([{ id: "1", event: "greeting", data: JSON.stringify({ hello: who }) }]);
  } finally {
    child.kill();
  }
}

describe("the packed sse-middleware tarball", () => {
  it("holds what users need and nothing else: no src, no tests", () => {
    const listing = execFileSync("tar", ["-tzf", coreTarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(listing).toContain("package/dist/index.js");
    expect(listing).toContain("package/dist/index.d.ts");
    expect(listing).toContain("package/cjs/index.cjs");
    expect(listing).toContain("package/README.md");
    expect(listing).toContain("package/LICENSE");
    expect(listing).toContain("package/CHANGELOG.md");
    expect(listing.filter((path) => /\/(src|test)\//.test(path))).toEqual([]);
    const manifest = JSON.parse(
      execFileSync("tar", ["-xzOf", coreTarball, "package/package.json"], { encoding: "utf8" }),
    ) as { dependencies?: object; exports: object };
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(JSON.stringify(manifest.exports)).not.toContain("src/");
    expect(statSync(coreTarball).size).toBeGreaterThan(0);
  });

  it("passes publint and arethetypeswrong with no problem", async () => {
    const bin = (name: string) => join(root, "node_modules", ".bin", name);
    const publint = await run(bin("publint"), ["run", "--strict", coreTarball], { cwd: root });
    expect(publint.stdout).toMatch(/All good!/);
    const attw = await run(bin("attw"), [coreTarball, "--format", "json"], { cwd: root });
    const report = JSON.parse(attw.stdout) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems).toEqual([]);
  }, 120_000);

  it("Express 5, ESM TypeScript (nodenext, strict): type-checks with no casts, wrong calls stay errors, and serves a stream", async () => {
    const dir = await installApp("esm-ts", [coreTarball]);
    await run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: dir });
    await expectGreeting(dir, "dist/server.js", "esm-ts");
    const { url, child } = await startApp(dir, "dist/server.js");
    try {
      // A new client is told where the channel stands, with no event fired.
      expect((await fetch(`${url}/channel`).then((r) => r.text()))).toBe("id: 1\n\n");
    } finally {
      child.kill();
    }
  }, 180_000);

  it("the @ts-expect-error lines are real errors: without them tsc fails", async () => {
    const dir = await installApp("esm-ts", [coreTarball]);
    const source = readFileSync(join(dir, "server.ts"), "utf8");
    writeFileSync(join(dir, "server.ts"), source.replaceAll("// @ts-expect-error", "//"));
    const result = await run(join(dir, "node_modules", ".bin", "tsc"), ["-p", ".", "--noEmit"], { cwd: dir }).then(
      () => "passed",
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).not.toBe("passed");
    // One error for each of the five lines that carried @ts-expect-error.
    expect(result.match(/error TS\d+/g)).toHaveLength(5);
  }, 180_000);

  it("TypeScript compiled to CommonJS type-checks against the require entry and serves a stream", async () => {
    const dir = await installApp("cjs-ts", [coreTarball]);
    await run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: dir });
    await expectGreeting(dir, "dist/server.js", "cjs-ts");
  }, 180_000);

  it("Express 4 with CommonJS require() serves a stream and a channel", async () => {
    const dir = await installApp("cjs-express4", [coreTarball]);
    await expectGreeting(dir, "server.js", "cjs-express4");
    const { url, child } = await startApp(dir, "server.js");
    try {
      expect(await fetch(`${url}/channel`).then((r) => r.text())).toBe("id: 1\ndata: live\n\n");
    } finally {
      child.kill();
    }
  }, 180_000);

  it("plain JavaScript with import serves a stream", async () => {
    const dir = await installApp("esm-js", [coreTarball]);
    const { url, child } = await startApp(dir, "server.js");
    try {
      expect(await fetch(`${url}/events`).then((r) => r.text())).toBe(
        'retry: 2000\n\nid: 1\nevent: greeting\ndata: {"hello":"esm-js"}\n\n',
      );
    } finally {
      child.kill();
    }
  }, 180_000);
});

describe("the packed sse-middleware-redis tarball", () => {
  it("depends on the core through a published range, holds no src or tests, and passes publint and attw", async () => {
    const manifest = JSON.parse(
      execFileSync("tar", ["-xzOf", redisTarball, "package/package.json"], { encoding: "utf8" }),
    ) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(manifest.peerDependencies["sse-middleware"]).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
    expect(Object.keys(manifest.dependencies)).toEqual(["redis"]);
    const listing = execFileSync("tar", ["-tzf", redisTarball], { encoding: "utf8" });
    expect(listing).not.toMatch(/package\/(src|test)\//);
    expect(listing).toContain("package/LICENSE");
    const bin = (name: string) => join(root, "node_modules", ".bin", name);
    expect((await run(bin("publint"), ["run", "--strict", redisTarball], { cwd: root })).stdout).toMatch(/All good!/);
    const attw = await run(bin("attw"), [redisTarball, "--format", "json"], { cwd: root });
    expect((JSON.parse(attw.stdout) as { analysis: { problems: unknown[] } }).analysis.problems).toEqual([]);
  }, 120_000);

  it("in a fresh TypeScript app against a real redis-server: type-checks, publishes and streams", async () => {
    const redis = await startRedisServer();
    try {
      const dir = await installApp("redis-ts", [coreTarball, redisTarball]);
      await run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: dir });
      const { url, child } = await startApp(dir, "dist/server.js", { REDIS_URL: redis.url });
      try {
        const response = await fetch(`${url}/events`);
        expect(response.headers.get("content-type")).toBe("text/event-stream");
        const events: EventSourceMessage[] = [];
        const parser = createParser({ onEvent: (event) => events.push(event) });
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        const ids: string[] = [];
        for (const title of ["first", "second"]) {
          const published = await fetch(`${url}/publish`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ title }),
          });
          expect(published.status).toBe(201);
          ids.push(((await published.json()) as { id: string }).id);
        }
        while (events.length < 2) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
        await reader.cancel();
        expect(events).toEqual([
          { id: ids[0], event: "story", data: '{"title":"first"}' },
          { id: ids[1], event: "story", data: '{"title":"second"}' },
        ]);
        expect(ids[0]).toMatch(/^\d+-\d+$/);
      } finally {
        child.kill();
      }
    } finally {
      await redis.remove();
    }
  }, 180_000);
});
