// What a page of the notifications demo does, from Node: an EventSource on
// the stream, and posting a message.
import { EventSource } from "eventsource";
import { Arrivals } from "../../../packages/sse-middleware/test/http-harness.js";

/** A page's EventSource on the notifications stream, recording what it shows. */
export function openPage(url: string, lastEventId?: string) {
  const texts = new Arrivals<string>();
  let lastId: string | undefined = lastEventId;
  const source = new EventSource(`${url}/notifications/stream`, {
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}), ...init?.headers } }),
  });
  const opened = new Promise<void>((resolve) => (source.onopen = () => resolve()));
  source.addEventListener("notification", (event) => {
    lastId = event.lastEventId;
    texts.push((JSON.parse(event.data) as { text: string }).text);
  });
  return {
    opened,
    texts: texts.items,
    lastId: () => lastId,
    close: () => source.close(),
    waitForCount: (count: number) => texts.atLeast(count),
  };
}

/** Posts a message, as the page does. */
export async function post(url: string, text: string): Promise<Response> {
  return fetch(`${url}/notifications`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
  });
}
