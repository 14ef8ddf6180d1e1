import { describe, expect, it } from "vitest";
import { demoPerTest } from "sse-middleware-demo/test/demo-server";
import { post } from "sse-middleware-demo/test/notification-pages";
import { openEventStream } from "./h2-client.js";
import { nginxGzip, siteName, type ProxySite } from "./proxy-configs.js";
import { proxiesPerTest } from "./proxies.js";

const startDemo = demoPerTest();
const proxies = proxiesPerTest();

const texts = (events: { data: string }[]): string[] => events.map((event) => (JSON.parse(event.data) as { text: string }).text);

/** nginx with nothing but `proxy_pass`: HTTP/1.0 to Node and response buffering on, its defaults. */
function bareSite(site: ProxySite): string {
  return `server {
    listen ${site.bindAddress}:${site.port} ssl http2;
    server_name ${siteName};
    ssl_certificate     ${site.certFile};
    ssl_certificate_key ${site.keyFile};
    location / {
        proxy_pass http://${site.upstream};
    }
}
`;
}

describe("what the stream's headers do behind nginx", () => {
  it("X-Accel-Buffering: no turns nginx's buffering off, even with its defaults (HTTP/1.0 to Node)", async () => {
    const demo = await startDemo({});
    const proxy = await proxies.start("nginx", { upstream: `127.0.0.1:${demo.port}`, nginxSite: bareSite });
    const stream = await openEventStream(proxy, "/notifications/stream");
    // A buffering nginx holds these few bytes until its buffer fills or the stream ends: never, here.
    for (const [count, text] of ["one", "two", "three"].entries()) {
      await post(demo.url, text);
      await stream.atLeast(count + 1);
    }
    expect(texts(stream.events)).toEqual(["one", "two", "three"]);
    stream.close();
  });

  it("nginx's gzip compresses the stream despite no-transform, and still flushes each event", async () => {
    const demo = await startDemo({});
    const proxy = await proxies.start("nginx", { upstream: `127.0.0.1:${demo.port}`, nginxHttp: nginxGzip() });
    const stream = await openEventStream(proxy, "/notifications/stream", { "accept-encoding": "gzip" });
    expect(stream.headers["cache-control"]).toBe("no-cache, no-transform");
    expect(stream.headers["content-encoding"]).toBe("gzip");
    // Each event must be decompressible as it comes, not when gzip's window fills.
    for (const [count, text] of ["one", "two", "three"].entries()) {
      await post(demo.url, text);
      await stream.atLeast(count + 1);
    }
    expect(texts(stream.events)).toEqual(["one", "two", "three"]);
    stream.close();
  });
});
