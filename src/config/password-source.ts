import { join, resolve } from "node:path";
import { Secret } from "../exec/redact";
import type { RawSections } from "./raw";
import type { PasswordSource } from "./types";

/** The repository password source: one of the three keys, the embedded default, or (with a warning) the environment. */
export function passwordSource(
  raw: RawSections,
  /** The typed [local_backup] password keys (a wrong value is already an error, and undefined here). */
  values: { RESTIC_PASSWORD?: string; RESTIC_PASSWORD_FILE?: string; RESTIC_PASSWORD_COMMAND?: string },
  baseDir: string,
  env: NodeJS.ProcessEnv,
  embedded: boolean,
  stateDir: string,
  warnings: string[],
  errors: string[],
): PasswordSource {
  const set = ["RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"].filter(
    (k) => raw.local_backup?.[k],
  );
  if (set.length > 1) {
    errors.push(
      `${raw.local_backup[set[set.length - 1]].origin}: [local_backup] set only one of ${set.join(", ")} (they name the same repository password)`,
    );
    return { kind: "none" };
  }
  const origin = (k: string) => raw.local_backup?.[k]?.origin ?? "";
  const value = values.RESTIC_PASSWORD;
  if (value !== undefined) return { kind: "value", value: new Secret(value), origin: origin("RESTIC_PASSWORD") };
  const file = values.RESTIC_PASSWORD_FILE;
  if (file !== undefined) return { kind: "file", path: resolve(baseDir, file), origin: origin("RESTIC_PASSWORD_FILE") };
  const command = values.RESTIC_PASSWORD_COMMAND;
  if (command !== undefined) return { kind: "command", command, origin: origin("RESTIC_PASSWORD_COMMAND") };
  if (set.length) return { kind: "none" }; // invalid value: already an error
  if (embedded) return { kind: "file", path: join(stateDir, "password"), origin: "embedded default" };
  if (env.RESTIC_PASSWORD_FILE) {
    warnings.push("no password source in the config: using RESTIC_PASSWORD_FILE from the environment");
    return { kind: "file", path: resolve(env.RESTIC_PASSWORD_FILE), origin: "environment RESTIC_PASSWORD_FILE" };
  }
  if (env.RESTIC_PASSWORD_COMMAND) {
    warnings.push("no password source in the config: using RESTIC_PASSWORD_COMMAND from the environment");
    return { kind: "command", command: env.RESTIC_PASSWORD_COMMAND, origin: "environment RESTIC_PASSWORD_COMMAND" };
  }
  if (env.RESTIC_PASSWORD) {
    warnings.push("no password source in the config: using RESTIC_PASSWORD from the environment");
    return { kind: "value", value: new Secret(env.RESTIC_PASSWORD), origin: "environment RESTIC_PASSWORD" };
  }
  return { kind: "none" };
}
