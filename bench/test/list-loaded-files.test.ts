import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listLoadedFiles } from "../src/import-cost/probes.js";

// A package of every kind of module file an import can load, and one it
// must not count; the probe has to list exactly the loaded ones.
const FIXTURE: Record<string, string> = {
  "entry.mjs": 'import "node:events";\nimport "./esm-dep.mjs";\nimport cjs from "./cjs-dep.cjs";\nexport default cjs;\n',
  "esm-dep.mjs": "export const fromEsm = 1;\n",
  "cjs-dep.cjs": 'require("node:path");\nconst data = require("./data.json");\nmodule.exports = { data, nested: require("./lib/nested.cjs") };\n',
  "lib/nested.cjs": "module.exports = 2;\n",
  "data.json": '{ "loaded": true }\n',
  "never-loaded.cjs": "module.exports = 3;\n",
};

describe("list-loaded-files probe", () => {
  let dir: string;

  beforeAll(() => {
    // The probe reports real paths, so compare with the real path of the fixture.
    dir = realpathSync(mkdtempSync(join(tmpdir(), "sse-bench-import-")));
    for (const [name, text] of Object.entries(FIXTURE)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists ES modules, CommonJS required from them and from each other, and JSON, each once", async () => {
    const { entry, files } = await listLoadedFiles(pathToFileURL(join(dir, "entry.mjs")).href);
    expect(entry).toBe(join(dir, "entry.mjs"));
    const loaded = ["cjs-dep.cjs", "data.json", "entry.mjs", "esm-dep.mjs", "lib/nested.cjs"].map((name) => join(dir, name));
    expect(files).toEqual(loaded.map((path) => ({ path, bytes: statSync(path).size })));
  });

  it("fails, saying why, when the import does", async () => {
    await expect(listLoadedFiles(pathToFileURL(join(dir, "missing.mjs")).href)).rejects.toThrow(/ERR_MODULE_NOT_FOUND/);
  });
});
