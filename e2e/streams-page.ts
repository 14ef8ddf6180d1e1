// Reading /streams.html through its test contract: each stream's element has
// data-stream, data-state and data-events; #live counts the streams that got
// an event.
import type { Page } from "playwright-core";

/** One stream as the page shows it. */
export interface ShownStream {
  stream: number;
  state: string;
  events: number;
}

/** Every stream of the page, in order. */
export function shownStreams(page: Page): Promise<ShownStream[]> {
  return page.locator("[data-stream]").evaluateAll((items) =>
    items.map((item) => {
      const { stream, state, events } = (item as HTMLElement).dataset;
      return { stream: Number(stream), state: state ?? "", events: Number(events) };
    }),
  );
}

/** The page's count of live streams (#live). */
export async function liveCount(page: Page): Promise<number> {
  return Number(await page.locator("#live").textContent());
}

/**
 * Waits until `live` streams each got at least `events` events. The other
 * streams have had all that time to get through too.
 */
export async function waitForLiveStreams(page: Page, live: number, events: number): Promise<void> {
  await page.waitForFunction(
    ([live, events]) =>
      [...document.querySelectorAll<HTMLElement>("[data-stream]")].filter((item) => Number(item.dataset.events) >= events)
        .length >= live,
    [live, events] as const,
  );
}

/** The protocol the page says each stream uses. */
export function shownProtocols(page: Page): Promise<string[]> {
  return page.locator('[data-stream] [data-field="protocol"]').allTextContents();
}

/** What Resource Timing says the page's own connection used (`h2`, `http/1.1`). */
export function pageProtocol(page: Page): Promise<string> {
  return page.evaluate(
    () => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).nextHopProtocol,
  );
}
