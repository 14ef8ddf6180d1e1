import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { createApp, type DemoOptions } from "../src/app.js";

/** The demo app listening on 127.0.0.1, started in this process. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Closes the server and cuts every open connection, as a crash or a restart would. */
  stop(): Promise<void>;
  /** Cuts every open connection and goes on listening, as when the network between drops. */
  dropConnections(): void;
}

/** Starts `createApp(options)` on 127.0.0.1, on `port` or, by default, any free port. */
export async function startDemo(options: DemoOptions, port = 0): Promise<DemoServer> {
  const server = http.createServer(createApp(options));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    dropConnections() {
      server.closeAllConnections();
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/**
 * For a test file: a function that starts the demo, each one stopped after
 * the test that started it.
 */
export function demoPerTest(): (options?: DemoOptions, port?: number) => Promise<DemoServer> {
  const running: DemoServer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((demo) => demo.stop()));
  });
  return async (options = {}, port) => {
    const demo = await startDemo(options, port);
    running.push(demo);
    return demo;
  };
}
