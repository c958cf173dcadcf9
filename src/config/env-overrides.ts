import { UsageError } from "../errors";
import { SECTIONS, SECTION_NAMES, type KeyDef } from "./keys";
import { put, type RawSections } from "./raw";

/** The environment variable that overrides a key: BACKUP_TUI_<SECTION>_<KEY>. */
export function envName(section: string, key: string): string {
  return `BACKUP_TUI_${section.toUpperCase()}_${key}`;
}

const PASSWORD_KEYS = ["RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"];

/**
 * Applies the BACKUP_TUI_<SECTION>_<KEY> variables over the file's keys. While a confirmation
 * password is set, what decides deletions is the config file's alone: an unguarded command (backup
 * with AUTO_PRUNE or LOW_SPACE_ACTION, the PRUNE job) would otherwise delete whatever a caller's
 * environment says, without the password. Every path loads config here. Throws UsageError (exit 2).
 */
export function applyEnvOverrides(
  raw: RawSections,
  env: NodeJS.ProcessEnv,
  file: string | undefined,
  warnings: string[],
): void {
  const gated = !!raw.security?.CONFIRM_PASSWORD_HASH;
  const refused: string[] = [];
  for (const section of SECTION_NAMES) {
    for (const [key, def] of Object.entries(SECTIONS[section]) as Array<[string, KeyDef]>) {
      const name = envName(section, key);
      const value = env[name];
      if (value === undefined || value === "") continue;
      // The gate before destructive actions is the config file's: the caller's environment cannot replace it.
      if (def.fileOnly) {
        warnings.push(
          `environment ${name} is ignored: the confirmation password hash is read from the config file only`,
        );
        continue;
      }
      if (def.guarded && gated) {
        refused.push(name);
        continue;
      }
      // An overriding password source replaces the file's, whichever kind it was.
      if (section === "local_backup" && PASSWORD_KEYS.includes(key))
        for (const k of PASSWORD_KEYS) delete raw.local_backup?.[k];
      put(raw, section, key, { value, origin: `environment ${name}` });
    }
  }
  if (refused.length) {
    throw new UsageError(
      `refusing the environment override${refused.length > 1 ? "s" : ""} ${refused.join(", ")}: while a confirmation password is set, the keys that decide what gets deleted (retention, space limits, the host name, sync's deletions) are read from the config file only; nothing was changed`,
      `Edit ${file} instead (or unset ${refused.length > 1 ? "those variables" : "the variable"}).`,
    );
  }
}
