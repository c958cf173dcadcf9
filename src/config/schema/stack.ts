import type { DumpDeclaration, KeepPolicy } from "../types";
import { list } from "./convert";
import type { KeyDefs, SectionValues } from "./key-def";
import { keepPolicy } from "./local-backup";
import { bool, count, cron, resticDuration, seconds, strategy, text } from "./values";

/** Keys of a [stack:NAME] section. */
export const STACK_KEYS = {
  STOP_STRATEGY: { schema: strategy, description: "Overrides [docker] STOP_STRATEGY for this stack." },
  TWO_PASS: { schema: bool, description: "Overrides [docker] TWO_PASS for this stack." },
  SCHEDULE: {
    schema: cron,
    cron: true,
    description: "This stack's own backup schedule (cron); the [schedule] BACKUP run then leaves it out.",
    example: "0 2 * * 0",
  },
  KEEP_LAST: { guarded: true, schema: count, description: "Retention override." },
  KEEP_HOURLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_DAILY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_WEEKLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_MONTHLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_YEARLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_WITHIN: { guarded: true, schema: resticDuration, description: "Retention override." },
  EXCLUDE: { schema: text, description: "Comma list of glob patterns excluded from this stack's backup." },
  EXTRA_PATHS: { schema: text, description: "Comma list of extra absolute paths backed up with this stack." },
  PRE_HOOK: {
    kit: "command",
    schema: text,
    description: "Command run (sh -c) before the stack is backed up; failing fails the stack.",
  },
  POST_HOOK: { kit: "command", schema: text, description: "Command run after the stack's backup, whatever happened." },
  HOOK_TIMEOUT: { schema: seconds, default: "300", description: "Seconds a hook may take." },
  DUMP: {
    schema: text,
    description:
      "Database dumps, as the backup-tui.dump labels declare them: comma list of SERVICE:ENGINE[:user=U][:database=D][:path=/file/in/container.db], ENGINE postgres, mariadb or sqlite. Overrides a label on the same service.",
    example: "db:postgres:database=app, cache:sqlite:path=/data/cache.db",
  },
} satisfies KeyDefs;

/**
 * Config.stacks[NAME] from a [stack:NAME] section. Each KEEP_* a stack sets overrides the global one
 * (`keep`); the others stay the global setting. `dumps` are DUMP's declarations, read by the loader.
 */
export function stackSettings(k: SectionValues<typeof STACK_KEYS>, keep: KeepPolicy, dumps: DumpDeclaration[]) {
  const own = keepPolicy(k);
  return {
    strategy: k.STOP_STRATEGY,
    twoPass: k.TWO_PASS,
    schedule: k.SCHEDULE,
    keep: Object.keys(own).length ? { ...keep, ...own } : undefined,
    exclude: list(k.EXCLUDE),
    extraPaths: list(k.EXTRA_PATHS),
    preHook: k.PRE_HOOK,
    postHook: k.POST_HOOK,
    hookTimeoutSec: k.HOOK_TIMEOUT,
    dumps,
  };
}
