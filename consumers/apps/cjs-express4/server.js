// Express 4 and CommonJS: require("sse-middleware") on Node >= 20.19.
const express = require("express");
const { sse, createChannel } = require("sse-middleware");

const app = express();
const channel = createChannel();
app.use(sse());
app.get("/events", (req, res) => {
  res.sse.send({ hello: "cjs-express4" }, { id: "1", event: "greeting" });
  res.sse.close();
});
app.get("/channel", (req, res) => {
  channel.subscribe(res.sse);
  channel.publish("live");
  res.sse.close();
});

const server = app.listen(0, "127.0.0.1", () => {
  console.log(`LISTENING ${server.address().port}`);
});
