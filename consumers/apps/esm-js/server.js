// Plain JavaScript with import, Express 5.
import express from "express";
import { sse } from "sse-middleware";

const app = express();
app.use(sse({ retry: 2000 }));
app.get("/events", (req, res) => {
  res.sse.send({ hello: "esm-js" }, { id: "1", event: "greeting" });
  res.sse.close();
});

const server = app.listen(0, "127.0.0.1", () => {
  console.log(`LISTENING ${server.address().port}`);
});
