import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LoadClient, type DeliveryGoal } from "../src/load/load-client.js";

let server: http.Server | undefined;
let client: LoadClient | undefined;

afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** Serves `body` as an event stream, and the request's URL to `onRequest`. */
async function serveStream(body: string, onRequest: (url: string) => void = () => {}): Promise<number> {
  server = http.createServer((req, res) => {
    onRequest(req.url ?? "");
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    res.write(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server!.address() as AddressInfo).port;
}

/** A goal of `target` events, and a promise of the client reaching it. */
function goalOf(target: number): { goal: DeliveryGoal; reached: Promise<void> } {
  let reach = (): void => {};
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return { goal: { target, reached: reach }, reached };
}

describe("LoadClient counting events addressed to one user", () => {
  it("counts its own and everyone's events in order, and another user's as an error", async () => {
    let url = "";
    const port = await serveStream(
      "id: 1@7\ndata: a\n\n" + // its own
        "id: 2\ndata: b\n\n" + // for everyone
        "id: 3@8\ndata: c\n\n" + // user 8's, with the number it expects next: a leak
        "id: 3@7\ndata: d\n\n", // its own
      (requested) => (url = requested),
    );
    const { goal, reached } = goalOf(3);
    client = new LoadClient(port, "/events?user=7", "count", goal, undefined, "id", 7);
    expect(await client.opened).toBe(200);
    await reached;
    expect(url).toBe("/events?user=7");
    expect({ received: client.received, errors: client.errors }).toEqual({ received: 3, errors: 1 });
  });

  it("counts an event addressed to a user as an error on a client that is no user", async () => {
    const port = await serveStream("id: 1@7\ndata: a\n\nid: 1\ndata: b\n\n");
    const { goal, reached } = goalOf(1);
    client = new LoadClient(port, "/events", "count", goal);
    await reached;
    expect({ received: client.received, errors: client.errors }).toEqual({ received: 1, errors: 1 });
  });
});
