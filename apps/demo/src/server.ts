import { createApp } from "./app.js";

function readPositiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const port = readPositiveInt("PORT", 3000);
const intervalMs = readPositiveInt("TICK_MS", 1000);

const server = createApp({ intervalMs }).listen(port, () => {
  const address = server.address();
  const actual = typeof address === "object" && address !== null ? address.port : port;
  console.log(`sse-middleware demo: http://localhost:${actual}/ (ticks every ${intervalMs} ms)`);
});
