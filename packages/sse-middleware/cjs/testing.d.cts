// Types for the CommonJS entry: the same declarations an `import` sees.
export * from "../dist/testing.js";
