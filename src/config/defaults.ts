import { SECTIONS, STACK_KEYS } from "./keys";
import { parseSection } from "./parse-section";
import { cloudSettings } from "./schema/cloud-sync";
import { dockerSettings } from "./schema/docker";
import { doomsdaySettings, securitySettings } from "./schema/doomsday";
import { localBackupSettings } from "./schema/local-backup";
import { notifySettings } from "./schema/notify";
import { scheduleSettings } from "./schema/schedule";
import { stackSettings } from "./schema/stack";
import type { SyncTarget } from "./targets";

/**
 * Every section's settings when nothing is written: the schema's defaults, mapped as loadConfig
 * maps them. For code (and tests) that build a Config without a file.
 */
export function defaultSettings() {
  const errors: string[] = [];
  const parse = <S extends keyof typeof SECTIONS>(s: S) => parseSection(SECTIONS[s], s, {}, errors);
  const { restic, retention, verification, space, fleet } = localBackupSettings(parse("local_backup"));
  return {
    docker: dockerSettings(parse("docker")),
    restic,
    fleet,
    retention,
    verification,
    space,
    cloud: cloudSettings(parse("cloud_sync")),
    /** No copies off the host unless a [cloud_sync] names one. */
    targets: [] as SyncTarget[],
    schedule: scheduleSettings(parse("schedule")),
    notify: notifySettings(parse("notify")),
    security: securitySettings(parse("security")),
    doomsday: doomsdaySettings(parse("doomsday")),
    stack: stackSettings(parseSection(STACK_KEYS, "stack:", {}, errors), {}, []),
  };
}
