import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  openNotificationsPage,
  postFrom,
  recordConnectionStates,
  shownNotifications,
  waitForNotifications,
} from "./notifications-page.js";
import { proxiedSiteArgs, proxiesPerTest, reloadNginx, type RunningProxy } from "./proxies.js";
import { useBrowserSuite } from "./suite.js";

const suite = useBrowserSuite(proxiedSiteArgs);
const proxies = proxiesPerTest();

/** Waits until nginx's error log has `line`, which says how far a reload got. */
async function waitForLog(proxy: RunningProxy, line: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await readFile(join(proxy.dir, "error.log"), "utf8")).includes(line)) {
    if (Date.now() > deadline) throw new Error(`nginx never logged "${line}":\n${await proxy.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the notifications page behind nginx, across `nginx -s reload`", () => {
  it("keeps every posted message, once each and in order, while the old worker lets go of the stream", async () => {
    const demo = await suite.startDemo({});
    const proxy = await proxies.start("nginx", { upstream: `127.0.0.1:${demo.port}` });
    const page = await openNotificationsPage(suite, proxy.url);
    const connectionStates = await recordConnectionStates(page);
    await postFrom(page, "one");
    await postFrom(page, "two");
    await waitForNotifications(page, 2);

    await reloadNginx(proxy);
    // The old worker keeps the page's stream until worker_shutdown_timeout.
    await waitForLog(proxy, "gracefully shutting down");
    await postFrom(page, "three");
    await waitForNotifications(page, 3);

    // Then it cuts the stream; the page reconnects to a new worker and
    // resumes after the last id it saw.
    await page.waitForFunction(() => {
      const states = (window as unknown as { shownConnectionStates: string[] }).shownConnectionStates;
      return states.length >= 3 && states[states.length - 1] === "open";
    });
    await postFrom(page, "four");
    await waitForNotifications(page, 4);

    expect(await connectionStates()).toEqual(["open", "connecting", "open"]);
    expect(await shownNotifications(page)).toEqual(["one", "two", "three", "four"]);
    await page.close();
  });
});
