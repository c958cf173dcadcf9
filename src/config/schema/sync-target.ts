import { z } from "zod";
import type { KeyDefs } from "./key-def";
import { bwlimit, cron, path, remote, text, whole, wholePercent } from "./values";

export const syncMode = z.enum(["mirror", "append", "restic"]);
export type SyncMode = z.output<typeof syncMode>;

/** The keys that say where a target is and how it is written: in [cloud_sync] (the `default` target) and in each [cloud_sync:NAME]. */
export const TARGET_WHERE_KEYS = {
  MODE: {
    guarded: true,
    schema: syncMode,
    description:
      "How this target is written: mirror (rclone sync of the local repository, guarded; the default), append (rclone copy --immutable: never deletes or rewrites anything there, so it works with delete-less keys and Object Lock buckets), restic (a second restic repository filled by `restic copy`; works with an append-only REST server).",
  },
  RESTIC_REPOSITORY: {
    schema: text,
    description:
      "MODE=restic: the target restic repository (rest:, s3:, sftp:, rclone: URL or a path); created on the first sync when empty, with the local repository's chunker parameters.",
  },
  RESTIC_PASSWORD_FILE: {
    schema: path,
    description: "MODE=restic: file holding the target repository's password (chmod 600).",
  },
  RESTIC_PASSWORD_COMMAND: {
    kit: "command",
    schema: text,
    description: "MODE=restic: command that prints the target repository's password.",
  },
} satisfies KeyDefs;

/**
 * A [cloud_sync:NAME] section: another copy of the repository. Keys left out fall back to
 * [cloud_sync]'s (so no defaults here).
 */
export const SYNC_TARGET_KEYS = {
  ...TARGET_WHERE_KEYS,
  RCLONE_REMOTE: { schema: remote, description: "MODE=mirror/append: the rclone remote.", example: "b2-offsite" },
  RCLONE_PATH: { schema: text, description: "MODE=mirror/append: path on the remote.", example: "host1/restic" },
  TRANSFERS: { schema: whole(1, 256, 4), description: "Parallel transfers (default: [cloud_sync]'s)." },
  BANDWIDTH: { schema: bwlimit, description: "Bandwidth limit for this target (default: [cloud_sync]'s)." },
  KEEP_DELETED_DAYS: {
    guarded: true,
    schema: whole(0, 3650, 7, "days"),
    description: "MODE=mirror: days deleted files are kept beside the copy (default: [cloud_sync]'s).",
  },
  MAX_DELETE_PERCENT: {
    guarded: true,
    schema: wholePercent,
    description: "MODE=mirror: the most a sync may remove of the copy's snapshots (default: [cloud_sync]'s).",
  },
  SCHEDULE: {
    schema: cron,
    cron: true,
    description: "When this target alone is synced (cron); it is then left out of [schedule] SYNC.",
    example: "0 6 * * *",
  },
} satisfies KeyDefs;
