// TypeScript compiled to CommonJS (package type commonjs, nodenext): the
// import below becomes require("sse-middleware"), typed by the CJS entry.
import express = require("express");
import { sse } from "sse-middleware";

const app = express();
app.get("/events", sse({ keepAlive: 5000 }), (req, res) => {
  res.sse.send({ hello: "cjs-ts" }, { id: "1", event: "greeting" });
  res.sse.close();
});
// Never called: a wrong call that must stay a type error.
export function wrongCall(res: express.Response): void {
  // @ts-expect-error the id is a string
  res.sse.send("x", { id: 7 });
}

const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  console.log(`LISTENING ${address.port}`);
});
