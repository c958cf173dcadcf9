import { statSync } from "node:fs";
import { ConfigError } from "../errors";
import { SECTIONS, type KeyDefs } from "./keys";
import type { RawSections } from "./raw";

/** A config file holding secrets must not be readable by other users. */
export function checkPermissions(file: string, raw: RawSections): void {
  const secretKeys: string[] = [];
  for (const [section, keys] of Object.entries(raw)) {
    const defs: KeyDefs = Object.hasOwn(SECTIONS, section) ? SECTIONS[section as keyof typeof SECTIONS] : {};
    for (const [key, rv] of Object.entries(keys)) {
      if (defs[key]?.secret || /:\/\/[^/@\s]+:[^/@\s]+@/.test(rv.value)) secretKeys.push(`[${section}] ${key}`);
    }
  }
  if (!secretKeys.length) return;
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new ConfigError(
      `${file} holds secrets (${secretKeys.join(", ")}) but is readable by other users (mode ${mode.toString(8).padStart(4, "0")})`,
      `Run: chmod 600 ${file}`,
    );
  }
}
