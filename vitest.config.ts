import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests run against the libraries' TypeScript source, not a stale build.
const alias = [
  {
    find: /^sse-middleware$/,
    replacement: fileURLToPath(new URL("packages/sse-middleware/src/index.ts", import.meta.url)),
  },
  {
    find: /^sse-middleware\/adapter$/,
    replacement: fileURLToPath(new URL("packages/sse-middleware/src/adapter.ts", import.meta.url)),
  },
  {
    find: /^sse-middleware\/testing$/,
    replacement: fileURLToPath(new URL("packages/sse-middleware/src/testing.ts", import.meta.url)),
  },
  {
    find: /^sse-middleware-redis$/,
    replacement: fileURLToPath(new URL("packages/sse-redis/src/index.ts", import.meta.url)),
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
        test: {
          name: "sse-redis",
          root: "packages/sse-redis",
          include: ["test/**/*.test.ts"],
          // A real redis-server, started once for the project and stopped after.
          globalSetup: ["test/global-setup.ts"],
          // Round trips to Redis and restarts of it take longer than in-memory tests.
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: { name: "demo", root: "apps/demo", include: ["test/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          root: "e2e",
          include: ["**/*.test.ts"],
          // A browser starts, and each test watches a whole stream play out.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "consumers",
          root: "consumers",
          include: ["*.test.ts"],
          // Packs the packages and installs fresh apps with npm.
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: { name: "bench", root: "bench", include: ["test/**/*.test.ts"] },
      },
    ],
  },
});
