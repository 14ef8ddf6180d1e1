import { prepareEntry, type ChannelEntry, type StreamEntry } from "./entry.js";

/**
 * The entries an instance has prepared lately, by id, so each is
 * serialised once per instance whether it goes out live or in replays:
 * when many clients reconnect at once, they share the work. Bounded; the
 * oldest additions go first.
 */
export class PreparedEntries {
  readonly #capacity: number;
  readonly #byId = new Map<string, ChannelEntry>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The entry prepared for every subscriber of this instance; prepared now if it isn't yet. */
  get(entry: StreamEntry): ChannelEntry {
    const known = this.#byId.get(entry.id);
    if (known !== undefined) return known;
    const prepared = prepareEntry(entry);
    this.#byId.set(entry.id, prepared);
    if (this.#byId.size > this.#capacity) this.#byId.delete(this.#byId.keys().next().value!);
    return prepared;
  }
}
