import { MASK, redact } from "../exec/redact";
import { SECTIONS, SECTION_NAMES, STACK_KEYS, type KeyDefs } from "./keys";
import { type RawSections, unquoted } from "./raw";
import { SYNC_TARGET_KEYS } from "./schema/sync-target";
import type { EffectiveKeys } from "./types";

/** Every key as written (or its default), per section, for `config show`: secrets masked, URL credentials too. */
export function effectiveKeys(raw: RawSections): EffectiveKeys {
  const out: EffectiveKeys = {};
  const add = (section: string, defs: KeyDefs) => {
    const shown: EffectiveKeys[string] = {};
    for (const [key, def] of Object.entries(defs)) {
      const rv = raw[section]?.[key];
      if (!rv && def.default === undefined) continue;
      const value = rv ? unquoted(rv) : (def.default as string);
      shown[key] = { value: def.secret ? MASK : redact(value), origin: rv?.origin ?? "default" };
    }
    out[section] = shown;
  };
  for (const section of SECTION_NAMES) add(section, SECTIONS[section]);
  for (const section of Object.keys(raw)
    .filter((s) => s.startsWith("stack:"))
    .sort())
    add(section, STACK_KEYS);
  for (const section of Object.keys(raw).filter((s) => s.startsWith("cloud_sync:"))) add(section, SYNC_TARGET_KEYS);
  return out;
}
