// Typed events: a channel made with a map of event names to data types
// checks each publish's data against its event name. The `@ts-expect-error`
// lines are checked by `pnpm typecheck`: were any of them not an error, tsc
// would fail on the unused directive.
import { describe, expect, expectTypeOf, it } from "vitest";
import { createChannel, type Channel } from "sse-middleware";

interface Story {
  title: string;
}
interface Note {
  userId: number;
  text: string;
}

describe("a typed channel", () => {
  it("checks each publish's data against its event name, and stays a channel", () => {
    const inbox = createChannel<{ story: Story; note: Note }>({ history: 10 });
    expect(inbox.publish({ title: "Hello" }, { event: "story", topics: ["news"] })).toBe("1");
    expect(inbox.publish({ userId: 7, text: "hi" }, { event: "note", topics: ["user:7"] })).toBe("2");
    // @ts-expect-error a note is not a story
    inbox.publish({ userId: 7, text: "hi" }, { event: "story" });
    // @ts-expect-error no such event in the map
    inbox.publish({ title: "x" }, { event: "storyy" });
    // @ts-expect-error the map has no `message`: an event name is required
    inbox.publish({ title: "x" });
    expectTypeOf(inbox).toMatchTypeOf<Channel<{ story: Story; note: Note }>>();
  });

  it("takes untyped data without a name when the map has a message type", () => {
    const ticks = createChannel<{ message: number }>();
    expect(ticks.publish(1)).toBe("1");
    // @ts-expect-error a message is a number here
    ticks.publish("one");
  });

  it("leaves untyped channels as they were: any data, any name", () => {
    const channel = createChannel();
    const name: string | undefined = Math.random() > 2 ? "x" : undefined;
    expect(channel.publish({ anything: true }, { event: name })).toBe("1");
    expect(channel.publish("text", { event: "whatever" })).toBe("2");
  });
});
