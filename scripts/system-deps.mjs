// Installs the Debian packages the tests drive for real (a browser, a Redis
// server, the proxies the deployment docs configure, and openssl, which makes
// their certificates) when they are missing. npm cannot bring these, and the tests never
// download a browser of their own. Run as root on Debian; elsewhere it says
// what to install and exits non-zero.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Each package, and a file whose presence means it is installed. */
const packages = [
  { name: "chromium", provides: "/usr/bin/chromium" },
  { name: "redis-server", provides: "/usr/bin/redis-server" },
  { name: "nginx", provides: "/usr/sbin/nginx" },
  { name: "haproxy", provides: "/usr/sbin/haproxy" },
  { name: "caddy", provides: "/usr/bin/caddy" },
  { name: "openssl", provides: "/usr/bin/openssl" },
];

const missing = packages.filter((pkg) => !existsSync(pkg.provides));
if (missing.length === 0) process.exit(0);

const names = missing.map((pkg) => pkg.name);
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
if (!isRoot || !hasApt) {
  console.error(`The tests need these Debian packages: ${names.join(", ")}. Install them, e.g.:`);
  console.error(`  sudo apt-get update && sudo apt-get install -y ${names.join(" ")}`);
  process.exit(1);
}

console.log(`Installing ${names.join(", ")} with apt-get...`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
execFileSync("apt-get", ["update"], { stdio: "inherit", env });
execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...names], { stdio: "inherit", env });
