// Run by testing.test.ts with `node --test`: openEventStream in node's own
// test runner, against the built package. The second test fails on purpose.
import assert from "node:assert/strict";
import { test } from "node:test";
import express from "express";
import { sse } from "sse-middleware";
import { openEventStream } from "sse-middleware/testing";

const app = express();
app.get("/three", sse(), (req, res) => {
  for (const n of [1, 2, 3]) res.sse.send(n, { id: String(n) });
  res.sse.close();
});
app.get("/endless", sse({ keepAlive: 50 }), (req, res) => res.sse.open());

test("a route's three events", async () => {
  const stream = await openEventStream(app, "/three");
  assert.deepEqual(await stream.take(3), [1, 2, 3].map((n) => ({ event: "message", data: String(n), id: String(n) })));
  await stream.close();
});

test("a stream that never ends", async () => {
  const stream = await openEventStream(app, "/endless", { timeout: 200 });
  try {
    await stream.next();
  } finally {
    await stream.close();
  }
});
