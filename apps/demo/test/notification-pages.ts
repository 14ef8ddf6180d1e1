// What a page of the notifications demo does, from Node: an EventSource on
// the stream, and posting a message.
import { EventSource } from "eventsource";

/** A page's EventSource on the notifications stream, recording what it shows. */
export function openPage(url: string, lastEventId?: string) {
  const texts: string[] = [];
  let lastId: string | undefined = lastEventId;
  const waiters = new Set<() => void>();
  const source = new EventSource(`${url}/notifications/stream`, {
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}), ...init?.headers } }),
  });
  const opened = new Promise<void>((resolve) => (source.onopen = () => resolve()));
  source.addEventListener("notification", (event) => {
    texts.push((JSON.parse(event.data) as { text: string }).text);
    lastId = event.lastEventId;
    for (const wake of waiters) wake();
  });
  return {
    opened,
    texts,
    lastId: () => lastId,
    close: () => source.close(),
    waitForCount: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (texts.length >= count) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      }),
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
