// Real nginx, HAProxy and Caddy (Debian's packages) in front of the demo,
// each a throwaway instance: its own temporary directory for config, pid,
// logs and temp files, a port from the OS, the certificate made for the test
// run, started and stopped by pid.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  caddyfile,
  haproxyGlobal,
  haproxySections,
  nginxMain,
  nginxSite,
  siteName,
  type ProxySite,
} from "./proxy-configs.js";

const run = promisify(execFile);

/** The proxies the docs configure, by the name of their Debian package and command. */
export const proxyNames = ["nginx", "haproxy", "caddy"] as const;
export type ProxyName = (typeof proxyNames)[number];

/**
 * What Chromium needs to open pages behind the test proxies: the site's name
 * resolves to 127.0.0.1, and the certificate the test made is accepted.
 */
export const proxiedSiteArgs = [`--host-resolver-rules=MAP ${siteName} 127.0.0.1`, "--ignore-certificate-errors"];

/** A self-signed certificate for {@link siteName} and 127.0.0.1, made with openssl. */
export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** Certificate then key, in one file (HAProxy's `crt`). */
  pemFile: string;
}

/** Makes a certificate in `dir`; browsers are told to accept it (--ignore-certificate-errors). */
export async function makeCertificate(dir: string): Promise<TestCertificate> {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const pemFile = join(dir, "cert-and-key.pem");
  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyFile, "-out", certFile, "-days", "2",
    "-subj", `/CN=${siteName}`, "-addext", `subjectAltName=DNS:${siteName},IP:127.0.0.1`,
  ]);
  await writeFile(pemFile, (await readFile(certFile, "utf8")) + (await readFile(keyFile, "utf8")));
  return { certFile, keyFile, pemFile };
}

/** A port the OS picks as free on 127.0.0.1, closed again so a proxy can take it. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One proxy process in front of the demo. */
export interface RunningProxy {
  readonly name: ProxyName;
  readonly port: number;
  /** `https://example.com:<port>` (the tests resolve the name to 127.0.0.1), or `https://localhost:<port>`. */
  readonly url: string;
  /** The proxy's directory: its config, pid file and logs. */
  readonly dir: string;
  /** What the process printed so far, and its log files, for a failing test's message. */
  output(): Promise<string>;
  /** Stops the process and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Everything a test may change in a proxy's configuration. */
export interface ProxyOptions {
  /** `host:port` of the demo. */
  upstream: string;
  /** nginx only: more lines inside `http`, such as `nginxGzip()`. */
  nginxHttp?: string;
  /** nginx only: a site of the test's own instead of the docs' {@link nginxSite}. */
  nginxSite?: (site: ProxySite) => string;
}

/** Waits this long at most for a proxy to accept connections, or to exit when stopped. */
const settleMs = 15_000;

/**
 * Starts `name` on a free port of 127.0.0.1 with the docs' configuration,
 * forwarding to `upstream`, and resolves once it accepts connections.
 */
export async function startProxy(
  name: ProxyName,
  certificate: TestCertificate,
  options: ProxyOptions,
): Promise<RunningProxy> {
  const dir = await makeProxyDir(name);
  const port = await freePort();
  const site: ProxySite = { port, bindAddress: "127.0.0.1", upstream: options.upstream, ...certificate };
  const command = await writeConfig(name, dir, site, options);
  return launch(name, dir, port, `https://${siteName}:${port}`, command);
}

/** The Caddyfile the README runs for a local try of HTTPS and HTTP/2 in front of the demo. */
export const localCaddyfile = fileURLToPath(new URL("../apps/demo/Caddyfile", import.meta.url));

/**
 * Runs the README's `caddy run --config apps/demo/Caddyfile` in front of the
 * demo on `demoPort`, with the file as it is: only its ports come from the
 * environment, as the file allows.
 */
export async function startLocalCaddy(demoPort: number): Promise<RunningProxy> {
  const dir = await makeProxyDir("caddy");
  const port = await freePort();
  const env = { ...caddyHome(dir), PORT: String(demoPort), HTTPS_PORT: String(port) };
  const command = { command: "caddy", args: ["run", "--config", localCaddyfile], env };
  return launch("caddy", dir, port, `https://localhost:${port}`, command);
}

async function makeProxyDir(name: ProxyName): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sse-e2e-${name}-`));
  // nginx's workers drop root for nobody, and must reach their temp paths here.
  await chmod(dir, 0o755);
  return dir;
}

/** Caddy keeps its state (certificates, autosaved config) under these: a fresh directory each time. */
function caddyHome(dir: string): Record<string, string> {
  return { HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") };
}

interface Command {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Spawns the proxy and resolves once `port` accepts connections; stops it and says why if it cannot. */
async function launch(
  name: ProxyName,
  dir: string,
  port: number,
  url: string,
  { command, args, env }: Command,
): Promise<RunningProxy> {
  const child = spawn(command, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let printed = "";
  const keep = (chunk: Buffer): void => {
    // The last of what it says is what explains a failure.
    printed = (printed + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const output = async (): Promise<string> => {
    const logs = await Promise.all(
      ["error.log", "access.log"].map((file) => readFile(join(dir, file), "utf8").catch(() => "")),
    );
    return [`${name} printed:\n${printed}`, ...logs.filter((log) => log !== "")].join("\n");
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await stopProcess(child, exited, stopSignal[name]);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    await waitUntilAccepting(port, exited);
  } catch (error) {
    const said = await output();
    await stop();
    throw new Error(`${name} did not start: ${(error as Error).message}\n${said}`);
  }
  return { name, port, url, dir, output, stop };
}

/** Fast shutdown: the tests end their pages first, nothing is left to finish. */
const stopSignal: Record<ProxyName, NodeJS.Signals> = {
  nginx: "SIGTERM",
  haproxy: "SIGTERM",
  // Caddy's SIGTERM waits out grace_period; SIGQUIT exits at once, still removing its files.
  caddy: "SIGQUIT",
};

/** The test-only lines around the docs' blocks, written into `dir`; the command that runs them. */
async function writeConfig(name: ProxyName, dir: string, site: ProxySite, options: ProxyOptions): Promise<Command> {
  switch (name) {
    case "nginx": {
      const config = join(dir, "nginx.conf");
      const server = (options.nginxSite ?? nginxSite)(site);
      await writeFile(config, nginxConfig(dir, options.nginxHttp ?? "", server));
      return { command: "nginx", args: nginxArgs(dir), env: {} };
    }
    case "haproxy": {
      const config = join(dir, "haproxy.cfg");
      await writeFile(config, `global\n${haproxyGlobal()}\n${haproxySections(site)}`);
      return { command: "haproxy", args: ["-db", "-f", config], env: {} };
    }
    case "caddy": {
      const config = join(dir, "Caddyfile");
      // No admin endpoint, no redirect server on :80, no trust store changes,
      // and the certificate from files: nothing reaches beyond this machine.
      const globals = ["admin off", "default_bind 127.0.0.1", "auto_https disable_redirects", "skip_install_trust"];
      await writeFile(config, caddyfile(site, globals));
      return { command: "caddy", args: ["run", "--config", config, "--adapter", "caddyfile"], env: caddyHome(dir) };
    }
  }
}

function nginxConfig(dir: string, http: string, server: string): string {
  const indent = (text: string): string => text.replace(/^(?=.)/gm, "    ");
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
${nginxMain()}
events {
    worker_connections 1024;
}

http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${indent(http)}
${indent(server)}}
`;
}

/** The arguments that name a test nginx's prefix and config: to start it, or to signal it (`-s reload`). */
export function nginxArgs(dir: string): string[] {
  return ["-p", `${dir}/`, "-c", join(dir, "nginx.conf")];
}

/** `nginx -s reload` for the nginx in `proxy.dir`: new workers with the config, old ones finish. */
export async function reloadNginx(proxy: RunningProxy): Promise<void> {
  await run("nginx", [...nginxArgs(proxy.dir), "-s", "reload"]);
}

/** Polls a TCP connect to the port until it succeeds; fails if the process exits or it takes too long. */
async function waitUntilAccepting(port: number, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + settleMs;
  while (!(await connects(port))) {
    if (gone) throw new Error("it exited");
    if (Date.now() > deadline) throw new Error(`nothing accepted on port ${port} within ${settleMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), settleMs);
  await exited;
  clearTimeout(timer);
}

/** What a test file starts proxies with; see {@link proxiesPerTest}. */
export interface TestProxies {
  /** {@link startProxy} with the file's certificate. */
  start(name: ProxyName, options: ProxyOptions): Promise<RunningProxy>;
  /** {@link startLocalCaddy}. */
  startLocalCaddy(demoPort: number): Promise<RunningProxy>;
}

/**
 * For a test file: a certificate made once for the file, and functions that
 * start proxies, each one stopped after the test that started it.
 */
export function proxiesPerTest(): TestProxies {
  let certDir: string | undefined;
  let certificate: TestCertificate | undefined;
  const running: RunningProxy[] = [];
  beforeAll(async () => {
    certDir = await mkdtemp(join(tmpdir(), "sse-e2e-cert-"));
    certificate = await makeCertificate(certDir);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((proxy) => proxy.stop()));
  });
  afterAll(async () => {
    if (certDir !== undefined) await rm(certDir, { recursive: true, force: true });
  });
  const track = (proxy: RunningProxy): RunningProxy => {
    running.push(proxy);
    return proxy;
  };
  return {
    async start(name, options) {
      if (certificate === undefined) throw new Error("the certificate is made in beforeAll");
      return track(await startProxy(name, certificate, options));
    },
    startLocalCaddy: async (demoPort) => track(await startLocalCaddy(demoPort)),
  };
}
