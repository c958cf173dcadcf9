import { CronError, parseSchedule } from "../schedule/cron";
import { SECTIONS, STACK_KEYS, type KeyDefs } from "./keys";
import { belongsIn, suggest } from "./messages";
import { type RawSections, unquoted } from "./raw";
import { NOTIFY_EVENTS } from "./schema/notify";
import { SYNC_TARGET_KEYS } from "./schema/sync-target";

// The checks the value types cannot make alone: keys in no section's table, cron expressions,
// what one key requires of another. Each pushes messages naming FILE:LINE where it can.

/** The keys of a known section (or a [stack:NAME] one) that no table holds: a warning saying where they belong. */
export function unknownKeys(raw: RawSections, warnings: string[]): void {
  for (const [section, keys] of Object.entries(raw)) {
    const defs: KeyDefs = section.startsWith("stack:")
      ? STACK_KEYS
      : section.startsWith("cloud_sync:")
        ? SYNC_TARGET_KEYS
        : SECTIONS[section as keyof typeof SECTIONS];
    for (const [key, rv] of Object.entries(keys)) {
      if (!Object.hasOwn(defs, key))
        warnings.push(
          `${rv.origin}: unknown key ${key} in [${section}] (ignored)${belongsIn(key, section) ?? suggest(key, Object.keys(defs))}`,
        );
    }
  }
}

/**
 * The cron keys of a section whose value passed the schema, parsed as a schedule. A bad one is an
 * error and is unset in `values` (as a wrong value is).
 */
export function checkCron(
  defs: KeyDefs,
  values: Record<string, unknown>,
  section: string,
  raw: RawSections,
  errors: string[],
): void {
  for (const [key, def] of Object.entries(defs)) {
    if (!def.cron || typeof values[key] !== "string") continue;
    try {
      parseSchedule(values[key]);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      const rv = raw[section][key];
      errors.push(
        `${rv.origin}: [${section}] ${key}: not a valid cron expression: ${err.message} (got ${JSON.stringify(unquoted(rv).slice(0, 60))})`,
      );
      values[key] = undefined;
    }
  }
}

/** A config file must name its repository; a misspelt [local_backup] section is the usual cause. */
export function requireRepository(file: string, ignored: Map<string, string>, errors: string[]): void {
  const misplaced = ignored.get("RESTIC_REPOSITORY");
  errors.push(
    misplaced
      ? `${misplaced.replace(/ in \[/, ": [")} RESTIC_REPOSITORY is ignored, so [local_backup] RESTIC_REPOSITORY is missing: it belongs in [local_backup]`
      : `${file}: [local_backup] RESTIC_REPOSITORY is required (a local path or a restic URL such as s3:...)`,
  );
}

/** Each NOTIFY_ON item is an event backup-tui sends. */
export function checkNotifyOn(on: string[], raw: RawSections, errors: string[]): void {
  for (const n of on)
    if (!NOTIFY_EVENTS.includes(n))
      errors.push(
        `${raw.notify?.NOTIFY_ON?.origin}: [notify] NOTIFY_ON: ${JSON.stringify(n)} is not one of failure, partial, success`,
      );
}
