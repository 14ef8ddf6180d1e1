// An Express 5 app in TypeScript (ESM, nodenext, strict), as a user writes it:
// no casts, no import of a types path; res.sse is typed by the package.
import express from "express";
import { createChannel, sse, type SseController } from "sse-middleware";

const app = express();
app.use(sse());
const channel = createChannel({ history: 10 });
channel.publish({ from: "history" }, { event: "greeting" });

app.get("/events", (req, res) => {
  const controller: SseController = res.sse;
  controller.send({ hello: "esm-ts" }, { id: "1", event: "greeting" });
  res.sse.close();
});

app.get("/channel", (req, res) => {
  channel.subscribe(res.sse);
  res.sse.close();
});

// Wrong calls must stay type errors: tsc fails if any line below compiles.
// Never called: they are here for the type checker only.
export function wrongCalls(res: express.Response): void {
  // @ts-expect-error retry is a number of milliseconds, not a string
  res.sse.send("x", { retry: "5000" });
  // @ts-expect-error there is no such method
  res.sse.sendd("x");
  // @ts-expect-error keepalive is not an option (keepAlive is)
  sse({ keepalive: 1000 });
  // @ts-expect-error maxBufferedBytes is a number
  sse({ maxBufferedBytes: "1mb" });
  // @ts-expect-error history is a number of events
  createChannel({ history: "all" });
}

const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  console.log(`LISTENING ${address.port}`);
});
