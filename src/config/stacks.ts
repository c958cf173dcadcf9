import { dumpDeclarations } from "./dump-declarations";
import { STACK_KEYS } from "./keys";
import { parseSection } from "./parse-section";
import type { RawSections } from "./raw";
import { checkCron } from "./rules";
import { stackSettings } from "./schema/stack";
import type { KeepPolicy, StackSettings } from "./types";

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Every [stack:NAME] section's settings; `keep` is the global keep policy a stack's KEEP_* keys override. */
export function readStacks(
  raw: RawSections,
  keep: KeepPolicy,
  file: string | undefined,
  errors: string[],
): Record<string, StackSettings> {
  const stacks: Record<string, StackSettings> = {};
  for (const section of Object.keys(raw).filter((s) => s.startsWith("stack:"))) {
    const name = section.slice("stack:".length);
    if (!STACK_NAME.test(name)) {
      errors.push(
        `${Object.values(raw[section])[0]?.origin ?? file}: [${section}]: a stack name is letters, digits, '.', '_' and '-'`,
      );
      continue;
    }
    const values = parseSection(STACK_KEYS, section, raw, errors);
    checkCron(STACK_KEYS, values, section, raw, errors);
    const dumps = dumpDeclarations(values.DUMP, `${raw[section].DUMP?.origin}: [${section}] DUMP`, errors);
    const stack = stackSettings(values, keep, dumps);
    for (const p of stack.extraPaths) {
      if (!p.startsWith("/"))
        errors.push(
          `${raw[section].EXTRA_PATHS?.origin}: [${section}] EXTRA_PATHS: ${JSON.stringify(p)} must be an absolute path`,
        );
    }
    stacks[name] = stack;
  }
  return stacks;
}
