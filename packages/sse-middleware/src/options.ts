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
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where} options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${where} option ${JSON.stringify(key)} is unknown; expected ${listNames(known)}`);
    }
  }
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
  for (const topic of topics) {
    if (typeof topic !== "string" || topic === "") {
      throw new TypeError(`${where} topics must be non-empty strings, got ${describeValue(topic)} in ${describeValue(topics)}`);
    }
  }
  return Object.freeze([...new Set(topics as string[])]);
}
