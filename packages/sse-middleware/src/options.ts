/**
 * The one way options are checked, by every factory and method of both
 * packages: a plain object, only known keys (own ones: inherited keys are
 * not options), then each rule. Messages read the same everywhere:
 * `<where> <name> must be <rule>, got <value>`.
 */
import { describeValue } from "./format.js";

function listNames(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  return `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/**
 * Checks that `options` is a plain object whose own keys are all in `known`.
 * @throws TypeError naming the value, or the unknown key and the known ones.
 */
export function assertOptions(options: unknown, where: string, known: readonly string[]): asserts options is object {
  readOptions(options, where, known);
}

/**
 * Checks `options` as {@link assertOptions} does and returns the values of
 * its own keys, each read once, on an object with no prototype. Read them
 * from here, never from `options`: destructuring would also find inherited
 * keys, such as a `topics` or `maxBufferedBytes` that a prototype pollution
 * elsewhere in the process put on Object.prototype.
 * @throws TypeError naming the value, or the unknown key and the known ones.
 */
export function readOptions<T extends object>(options: unknown, where: string, known: readonly string[]): Partial<T> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where} options must be an object, got ${describeValue(options)}`);
  }
  const own = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${where} option ${JSON.stringify(key)} is unknown; expected ${listNames(known)}`);
    }
    own[key] = (options as Record<string, unknown>)[key];
  }
  return own as Partial<T>;
}

/** Throws the TypeError every rule throws: `<where> <name> must be <rule>, got <value>`. */
export function optionError(where: string, name: string, rule: string, value: unknown): TypeError {
  return new TypeError(`${where} ${name} must be ${rule}, got ${describeValue(value)}`);
}

/** Checks an integer option within [min, max] (Infinity allowed as max only when `max` is Infinity). */
export function assertInteger(
  value: unknown,
  where: string,
  name: string,
  { min, max = Number.MAX_SAFE_INTEGER, rule }: { min: number; max?: number; rule: string },
): asserts value is number {
  const ok =
    typeof value === "number" &&
    (Number.isSafeInteger(value) || (value === Infinity && max === Infinity)) &&
    value >= min &&
    value <= max;
  if (!ok) throw optionError(where, name, rule, value);
}

/**
 * Checks a list of topics: an array of non-empty strings. Returns them as a
 * frozen array without repeats, or undefined for an empty list when
 * `emptyMeansNone` (a subscriber naming no topics).
 * @throws TypeError naming the value and the rule.
 */
export function resolveTopics(
  topics: unknown,
  where: string,
  { emptyMeansNone }: { emptyMeansNone: boolean },
): readonly string[] | undefined {
  if (!Array.isArray(topics)) throw optionError(where, "topics", "an array of non-empty strings", topics);
  if (topics.length === 0) {
    if (emptyMeansNone) return undefined;
    throw optionError(where, "topics", "a non-empty array (an event for no topic would reach no one)", topics);
  }
  // Copied by index, then checked and kept: an array's own iterator could
  // hand the check one list and the copy another.
  const names = new Set<string>();
  for (let i = 0; i < topics.length; i += 1) {
    const topic: unknown = topics[i];
    if (typeof topic !== "string" || topic === "") {
      throw new TypeError(`${where} topics must be non-empty strings, got ${describeValue(topic)} in ${describeValue(topics)}`);
    }
    names.add(topic);
  }
  return Object.freeze([...names]);
}
