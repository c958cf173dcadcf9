// The config schema: every key backup-tui reads, by section, each defined once in src/config/schema/
// (value type, default, description). This table is the config reference (README, config.example.ini);
// the loader parses and validates with it, and the Config type is inferred from its mappings (types.ts).
import { CLOUD_SYNC_KEYS } from "./schema/cloud-sync";
import { DOCKER_KEYS } from "./schema/docker";
import { DOOMSDAY_KEYS, SECURITY_KEYS } from "./schema/doomsday";
import { LOCAL_BACKUP_KEYS } from "./schema/local-backup";
import { NOTIFY_KEYS } from "./schema/notify";
import { SCHEDULE_KEYS } from "./schema/schedule";

export type { KeyDef, KeyDefs } from "./schema/key-def";
export { STACK_KEYS } from "./schema/stack";
export { SYNC_TARGET_KEYS } from "./schema/sync-target";
export { expectedValue, isSubsetSpec } from "./schema/values";

/** Every key backup-tui reads, by section, in the order of config.example.ini. */
export const SECTIONS = {
  docker: DOCKER_KEYS,
  local_backup: LOCAL_BACKUP_KEYS,
  cloud_sync: CLOUD_SYNC_KEYS,
  schedule: SCHEDULE_KEYS,
  doomsday: DOOMSDAY_KEYS,
  notify: NOTIFY_KEYS,
  security: SECURITY_KEYS,
};

export type SectionName = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

/** Legacy flat files: which section a bare key belongs to. */
export function sectionOfKey(key: string): SectionName | undefined {
  return SECTION_NAMES.find((s) => Object.hasOwn(SECTIONS[s], key));
}
