// The Redis adapter as a user installs it: both tarballs, Express 5, ESM
// TypeScript (nodenext, strict), a real redis-server at REDIS_URL.
import express from "express";
import { sse } from "sse-middleware";
import { createRedisChannel } from "sse-middleware-redis";

const url = process.env.REDIS_URL;
if (url === undefined) throw new Error("REDIS_URL is required");
const news = await createRedisChannel({ url, stream: "consumer:news", maxLen: 100 });

const app = express();
app.get("/events", sse(), (req, res) => {
  news.subscribe(res.sse);
});
app.post("/publish", express.json(), async (req, res, next) => {
  try {
    const id: string = await news.publish(req.body, { event: "story" });
    res.status(201).json({ id });
  } catch (error) {
    next(error);
  }
});

// Never called: wrong calls that must stay type errors.
export async function wrongCalls(): Promise<void> {
  // @ts-expect-error maxLen is a number
  await createRedisChannel({ url: "redis://x", stream: "s", maxLen: "100" });
  // @ts-expect-error publish resolves to the id, a string
  const id: number = await news.publish("x");
  void id;
}

const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  console.log(`LISTENING ${address.port}`);
});
