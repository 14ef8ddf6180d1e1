// Reading the demo's page (public/index.html) as a person sees it.
import type { Page } from "playwright-core";

/** One `<p>` of the page, read from the text a person sees: "<ms> #<id> · <time> · <delay> ms". */
export interface ShownMessage {
  id: number;
  /** The server's clock when it sent the tick (the event's data). */
  time: number;
  /** The page's clock when it showed the tick: `time` plus the delay it shows. */
  shownAt: number;
}

/** Every message the page shows, in order. */
export async function shownMessages(page: Page): Promise<ShownMessage[]> {
  const texts = await page.locator("#messages p").allTextContents();
  return texts.map((text) => {
    const match = /^(\d{13}) #(\d+) · .+ · (\d+) ms$/.exec(text);
    if (match === null) throw new Error(`a message the page shows does not read as one: ${JSON.stringify(text)}`);
    return { time: Number(match[1]), id: Number(match[2]), shownAt: Number(match[1]) + Number(match[3]) };
  });
}

/** Waits until the page shows the connection state `state` (connecting, open, done). */
export async function waitForState(page: Page, state: string): Promise<void> {
  await page.waitForFunction((expected) => document.getElementById("state")?.textContent === expected, state);
}
