import type { KeyDefs, SectionValues } from "./key-def";
import { TARGET_WHERE_KEYS } from "./sync-target";
import { bwlimit, path, remote, seconds, text, whole, wholePercent } from "./values";

/** [cloud_sync]: the first copy of the repository (target `default`) and what every [cloud_sync:NAME] inherits. */
export const CLOUD_SYNC_KEYS = {
  ...TARGET_WHERE_KEYS,
  RCLONE_REMOTE: {
    schema: remote,
    description: "rclone remote the repository is copied to (MODE=mirror/append).",
    example: "b2-backup",
  },
  RCLONE_PATH: {
    schema: text,
    description: "Path on the remote; one per repository (per host).",
    example: "backups/host1/restic",
  },
  RCLONE_BINARY: { schema: path, default: "rclone", description: "rclone executable to run." },
  TRANSFERS: { schema: whole(1, 256, 4), default: "4", description: "Parallel transfers." },
  RETRIES: { schema: whole(1, 100, 3), default: "3", description: "Attempts, with exponential backoff." },
  BANDWIDTH: { schema: bwlimit, description: "Bandwidth limit (rclone --bwlimit), e.g. 10M; 0 = unlimited." },
  BANDWIDTH_LIMIT: { schema: bwlimit, description: "Alias of BANDWIDTH (the seed tool's name)." },
  SYNC_TIMEOUT: { schema: seconds, default: "3600", description: "Seconds one sync may take before it is killed." },
  RCLONE_CONFIG: {
    schema: path,
    description:
      "rclone config file (default: rclone's own, ~/.config/rclone/rclone.conf; RCLONE_CONFIG_<NAME>_* variables work too).",
    example: "/etc/backup-tui/rclone.conf",
  },
  KEEP_DELETED_DAYS: {
    guarded: true,
    schema: whole(0, 3650, 7, "days"),
    default: "7",
    description:
      "Files a sync deletes or replaces on the remote are kept this many days beside it (RCLONE_PATH.deleted/DATE); 0 deletes them at once.",
  },
  MAX_DELETE_PERCENT: {
    guarded: true,
    schema: wholePercent,
    default: "50",
    description:
      "Refuse a sync (exit 2, also with --dry-run) that would remove more than this share of the remote's snapshots, counted by ID: those on the remote the local repository lacks (a damaged or emptied local repository); --force overrides.",
  },
} satisfies KeyDefs;

/** Config.cloud from the [cloud_sync] keys (configFile is made absolute by the loader). */
export function cloudSettings(k: SectionValues<typeof CLOUD_SYNC_KEYS>) {
  return {
    remote: k.RCLONE_REMOTE,
    path: k.RCLONE_PATH,
    binary: k.RCLONE_BINARY,
    transfers: k.TRANSFERS,
    retries: k.RETRIES,
    bandwidth: k.BANDWIDTH ?? k.BANDWIDTH_LIMIT,
    syncTimeoutSec: k.SYNC_TIMEOUT,
    configFile: k.RCLONE_CONFIG,
    keepDeletedDays: k.KEEP_DELETED_DAYS,
    maxDeletePercent: k.MAX_DELETE_PERCENT,
  };
}
