// The proxy configurations docs/deploy.md shows, as templates: the doc's
// blocks are these rendered for `docSite` (deploy-doc.test.ts checks they
// match), and the proxy tests run these very blocks rendered for a test's
// ports and files, wrapped in the few test-only lines a throwaway instance
// needs (pid and log files, temp paths, no admin endpoint).

/** Where a proxy listens, what it forwards to, and its certificate. */
export interface ProxySite {
  /** The port TLS is served on. */
  port: number;
  /** The one address to listen on; every address when absent. */
  bindAddress?: string;
  /** `host:port` of the Node server. */
  upstream: string;
  /** PEM certificate (chain) and its key, for nginx and Caddy. */
  certFile: string;
  keyFile: string;
  /** The certificate chain and key in one PEM file, as HAProxy takes them. */
  pemFile: string;
}

/** The name the site is served under, in the docs and in the tests (Chromium maps it to 127.0.0.1). */
export const siteName = "example.com";

/** What docs/deploy.md shows. */
export const docSite: ProxySite = {
  port: 443,
  upstream: "127.0.0.1:3000",
  certFile: `/etc/ssl/certs/${siteName}.pem`,
  keyFile: `/etc/ssl/private/${siteName}.key`,
  pemFile: `/etc/haproxy/certs/${siteName}.pem`,
};

/**
 * How long a reload or a stop waits for open streams before cutting them, in
 * every proxy: an event stream never ends by itself, so without a bound the
 * old workers would live on with every open stream.
 */
export const shutdownGrace = "10s";

/** nginx: the line for the main context of nginx.conf (the top level, outside `http`). */
export function nginxMain(): string {
  return `worker_shutdown_timeout ${shutdownGrace};\n`;
}

/** nginx: the site, for /etc/nginx/conf.d/ (inside `http`). */
export function nginxSite(site: ProxySite): string {
  const listen = site.bindAddress === undefined ? String(site.port) : `${site.bindAddress}:${site.port}`;
  return `upstream sse_demo {
    server ${site.upstream};
    keepalive 16;
}

server {
    listen ${listen} ssl http2;
    server_name ${siteName};

    ssl_certificate     ${site.certFile};
    ssl_certificate_key ${site.keyFile};

    location / {
        proxy_pass http://sse_demo;
        # Keep-alive connections to Node, and no "Connection: close" passed on.
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # Longer than sse()'s keepAlive (15 s): a heartbeat resets both.
        proxy_read_timeout 60s;
        send_timeout 60s;
    }
}
`;
}

/** nginx: compressing event streams, which the docs show nginx does despite `no-transform`. */
export function nginxGzip(): string {
  return `gzip on;
gzip_types text/event-stream;
`;
}

/** HAProxy: the line for the `global` section. */
export function haproxyGlobal(): string {
  return `\thard-stop-after ${shutdownGrace}\n`;
}

/** HAProxy: the sections to append to haproxy.cfg. */
export function haproxySections(site: ProxySite): string {
  return `defaults sse
\tmode http
\tlog global
\toption httplog
\toption forwardfor
\ttimeout connect 5s
\ttimeout http-request 10s
\t# Longer than sse()'s keepAlive (15 s): a heartbeat resets both.
\ttimeout client 60s
\ttimeout server 60s
\t# Upgraded connections (WebSocket), if the app has any; an event
\t# stream is plain HTTP, timed by client and server above.
\ttimeout tunnel 1h

frontend https from sse
\tbind ${site.bindAddress ?? ""}:${site.port} ssl crt ${site.pemFile} alpn h2,http/1.1
\tdefault_backend sse_demo

backend sse_demo from sse
\tserver demo ${site.upstream}
`;
}

/** Caddy: the whole Caddyfile; `globals` adds lines to its global options. */
export function caddyfile(site: ProxySite, globals: readonly string[] = []): string {
  const address = site.port === 443 ? siteName : `${siteName}:${site.port}`;
  const options = [...globals, `grace_period ${shutdownGrace}`].map((line) => `\t${line}\n`).join("");
  return `{
${options}}

${address} {
\ttls ${site.certFile} ${site.keyFile}
\treverse_proxy ${site.upstream}
}
`;
}
