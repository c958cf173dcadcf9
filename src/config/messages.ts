import type { z } from "zod";
import { SECTIONS, SECTION_NAMES, STACK_KEYS, expectedValue, type KeyDef } from "./keys";

// The words of the loader's messages: what a value must be, where a misplaced key or a misspelt
// section belongs, and their order (the file's line order).

/** What the value must be, in words: the key's own description of it, an enum's choices, or the schema's message. */
export function expectation(def: KeyDef, issues: z.core.$ZodIssue[]): string {
  const described = expectedValue(def.schema);
  if (described) return `must be ${described}`;
  const choices = issues.find((i) => i.code === "invalid_value") as { values?: unknown[] } | undefined;
  if (choices?.values) return `must be one of ${choices.values.join(", ")}`;
  // Our own regex/refine messages name what is wanted ("a size such as 500G"); zod's are replaced.
  return issues
    .map((i) =>
      i.code === "too_big"
        ? "too long"
        : i.code === "too_small"
          ? "must not be empty"
          : /^an? /.test(i.message)
            ? `must be ${i.message}`
            : i.message,
    )
    .join("; ");
}

/** Sorts "FILE:LINE: ..." messages by line; others (environment, the file as a whole) keep their order after them. */
export function byLine(a: string, b: string): number {
  const line = (m: string) => Number(/^[^\n]*?:(\d+): /.exec(m)?.[1] ?? Infinity);
  const d = line(a) - line(b);
  return Number.isNaN(d) ? 0 : d;
}

/** "[cloud-sync]" → "; did you mean [cloud_sync]?"; "[stack-web]" → "; did you mean [stack:web]?". */
export function suggestSection(section: string): string {
  const norm = section.toLowerCase().replace(/[\s-]+/g, "_");
  const stack = /^stacks?[_.:]+(.+)$/.exec(norm);
  if (stack) return `; did you mean [stack:${section.slice(section.length - stack[1].length)}]?`;
  const close = SECTION_NAMES.find((s) => s === norm || distance(s, norm) <= 2);
  return close ? `; did you mean [${close}]?` : "";
}

/** A known key in the wrong section: where it belongs. */
export function belongsIn(key: string, section: string): string | undefined {
  const home = SECTION_NAMES.filter((s) => Object.hasOwn(SECTIONS[s], key)).map((s) => `[${s}]`);
  const perStack = Object.hasOwn(STACK_KEYS, key) && !section.startsWith("stack:");
  if (perStack) home.push("a [stack:NAME] section");
  return home.length ? `: it belongs in ${home.join(" or ")}` : undefined;
}

export function suggest(key: string, known: string[]): string {
  // Within 2 edits the lengths differ by 2 at most: a long key (or a hostile one) is not compared.
  const close = known.find((k) => Math.abs(k.length - key.length) <= 2 && distance(k, key) <= 2);
  return close ? `; did you mean ${close}?` : "";
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
