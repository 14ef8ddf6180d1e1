import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests run against the library's TypeScript source, not a stale build.
const alias = [
  {
    find: /^sse-middleware$/,
    replacement: fileURLToPath(new URL("packages/sse-middleware/src/index.ts", import.meta.url)),
  },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "sse-middleware", root: "packages/sse-middleware", include: ["test/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "demo", root: "apps/demo", include: ["test/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "bench", root: "bench", include: ["test/**/*.test.ts"] },
      },
    ],
  },
});
