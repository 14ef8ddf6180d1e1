import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  caddyfile,
  docSite,
  haproxyGlobal,
  haproxySections,
  nginxGzip,
  nginxMain,
  nginxSite,
} from "./proxy-configs.js";

const deployDoc = new URL("../docs/deploy.md", import.meta.url);

/** What each block docs/deploy.md marks `<!-- tested: name -->` must be: what the tests run. */
const tested: Record<string, () => Promise<string> | string> = {
  "nginx-main": nginxMain,
  "nginx-site": () => nginxSite(docSite),
  "nginx-gzip": nginxGzip,
  "haproxy-global": haproxyGlobal,
  haproxy: () => haproxySections(docSite),
  caddy: () => caddyfile(docSite),
  "node-http2": () => readFile(new URL("examples/node-http2.ts", import.meta.url), "utf8"),
};

/** Each marked block's name and text, with the indentation of its fence (inside a list item) taken off. */
function markedBlocks(markdown: string): { name: string; text: string }[] {
  const marked = /^([ \t]*)<!-- tested: ([\w-]+) -->\n\1```\w*\n([\s\S]*?)^\1```$/gm;
  return [...markdown.matchAll(marked)].map(([, indent = "", name = "", body = ""]) => ({
    name,
    text: body
      .split("\n")
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join("\n"),
  }));
}

describe("docs/deploy.md shows the configurations the tests run", () => {
  it("marks a block for every configuration, and no other", async () => {
    const markdown = await readFile(deployDoc, "utf8");
    expect(markedBlocks(markdown).map((block) => block.name).sort()).toEqual(Object.keys(tested).sort());
    // A marker whose block did not parse would go unchecked.
    expect(markdown.match(/<!-- tested:/g)).toHaveLength(Object.keys(tested).length);
  });

  it.each(Object.keys(tested))("shows %s exactly as the tests run it", async (name) => {
    const block = markedBlocks(await readFile(deployDoc, "utf8")).find((found) => found.name === name);
    expect(block?.text).toBe(await tested[name]!());
  });
});
