import { z } from "zod";
import type { KeepPolicy } from "../types";
import type { KeyDefs, SectionValues } from "./key-def";
import {
  bool,
  count,
  depth,
  duration,
  hostname,
  path,
  percent,
  resticDuration,
  seconds,
  size,
  subsetSpec,
  text,
} from "./values";

/** [local_backup]: the restic repository, its password, retention, verification and space limits. */
export const LOCAL_BACKUP_KEYS = {
  RESTIC_REPOSITORY: {
    schema: text,
    description: "restic repository: a local path, or s3:, rest:, sftp:, rclone: URL. Required in a config file.",
    example: "/mnt/backup/restic-repo",
  },
  RESTIC_PASSWORD: {
    schema: text,
    secret: true,
    description: "Repository password in clear (prefer RESTIC_PASSWORD_FILE). The config file must then be chmod 600.",
  },
  RESTIC_PASSWORD_FILE: {
    schema: path,
    description: "File holding the repository password (chmod 600).",
    example: "/etc/backup-tui/restic-password",
  },
  RESTIC_PASSWORD_COMMAND: {
    kit: "command",
    schema: text,
    description: "Command that prints the repository password.",
  },
  RESTIC_BINARY: { schema: path, default: "restic", description: "restic executable to run." },
  HOSTNAME: {
    guarded: true,
    schema: hostname,
    description:
      "Host name recorded in snapshots (default: this machine's). In a repository several hosts share, every host needs its own stable name.",
  },
  PRUNE_HOST: {
    guarded: true,
    schema: hostname,
    description:
      "Set when several hosts share this repository: the one HOSTNAME that applies retention, prunes and checks it (restic's exclusive lock). The other hosts refuse those commands and publish their keep policy for it.",
    example: "host1",
  },
  PUBLISH_STATUS: {
    schema: bool,
    description:
      "After each run, publish this host's status (a small snapshot tagged backup-tui-status) for `status --fleet`. Default: on when PRUNE_HOST is set.",
  },
  LOCK_WAIT: {
    schema: duration("30m or 2h"),
    default: "30m",
    description:
      "In a shared repository (PRUNE_HOST set): how long restic waits for another host's exclusive lock (restic --retry-lock) before the run fails.",
  },
  BACKUP_TIMEOUT: {
    schema: seconds,
    default: "3600",
    description: "Seconds one restic backup may take before it is killed.",
  },
  KEEP_LAST: { guarded: true, schema: count, description: "Retention: keep the last N snapshots of each stack." },
  KEEP_HOURLY: { guarded: true, schema: count, description: "Retention: hourly snapshots to keep." },
  KEEP_DAILY: { guarded: true, schema: count, default: "7", description: "Retention: daily snapshots to keep." },
  KEEP_WEEKLY: { guarded: true, schema: count, default: "4", description: "Retention: weekly snapshots to keep." },
  KEEP_MONTHLY: { guarded: true, schema: count, default: "12", description: "Retention: monthly snapshots to keep." },
  KEEP_YEARLY: { guarded: true, schema: count, default: "3", description: "Retention: yearly snapshots to keep." },
  KEEP_WITHIN: {
    guarded: true,
    schema: resticDuration,
    description: "Retention: keep every snapshot newer than this (e.g. 14d).",
  },
  AUTO_PRUNE: {
    guarded: true,
    schema: bool,
    default: "false",
    description: "Apply retention (forget --prune) after each successful backup.",
  },
  ENABLE_VERIFICATION: { schema: bool, default: "false", description: "Verify the repository after each backup." },
  VERIFICATION_DEPTH: {
    schema: depth,
    default: "metadata",
    description:
      "metadata (restic check), subset (read a sample of the data), data (read everything), files (restore and compare).",
  },
  VERIFICATION_SUBSET: {
    schema: subsetSpec,
    default: "5%",
    description:
      "What the subset level reads: a share (5%), a fixed part (n/N), or next/N — the part after the last one read, so N verifications read the whole repository (next/12: all of it over 12 runs).",
  },
  DIRLIST_FILE: {
    schema: path,
    description:
      "The dirlist file that enables stacks (default: ../dirlist for a config in config/, else dirlist beside the config).",
  },
  COMPRESSION: { schema: z.enum(["auto", "off", "max"]), description: "restic compression (repository format 2)." },
  MAX_REPO_SIZE: {
    guarded: true,
    schema: size,
    description:
      "Size budget for the repository (restic's raw data): `forget --prune` and the PRUNE job then forget the oldest unprotected snapshots beyond the keep policy, never a stack's newest.",
    example: "500G",
  },
  MIN_FREE_PERCENT: {
    guarded: true,
    schema: percent,
    description:
      "Free-space floor (percent) of a local repository's filesystem, enforced like MAX_REPO_SIZE and checked before every backup (LOW_SPACE_ACTION).",
    example: "10",
  },
  LOW_SPACE_ACTION: {
    guarded: true,
    schema: z.enum(["prune", "skip"]),
    default: "skip",
    description:
      "Below MIN_FREE_PERCENT before a backup: prune the oldest unprotected snapshots now, or skip the backup with an urgent notification.",
  },
  NOTIFY_BEFORE_DELETE: {
    guarded: true,
    schema: duration("24h or 2d"),
    description:
      "Space-based deletions become pending for this long (shown by status, announced, cancellable with `prune --cancel`) before the PRUNE job forgets them. Unset: at once.",
    example: "24h",
  },
} satisfies KeyDefs;

type LocalBackupValues = SectionValues<typeof LOCAL_BACKUP_KEYS>;

/**
 * The parts of Config read from [local_backup]. The loader completes them: the host name's and the
 * dirlist's defaults, the repository made absolute, the password source (password-source.ts).
 */
export function localBackupSettings(k: LocalBackupValues) {
  return {
    hostname: k.HOSTNAME,
    fleet: { pruneHost: k.PRUNE_HOST, publish: k.PUBLISH_STATUS ?? k.PRUNE_HOST !== undefined, lockWait: k.LOCK_WAIT },
    dirlistFile: k.DIRLIST_FILE,
    restic: {
      repository: k.RESTIC_REPOSITORY,
      binary: k.RESTIC_BINARY,
      backupTimeoutSec: k.BACKUP_TIMEOUT,
      compression: k.COMPRESSION,
    },
    retention: { keep: keepPolicy(k), autoPrune: k.AUTO_PRUNE },
    /** subset: "5%", "n/N" or "next/N" (the part after the last one read: N runs read everything). */
    verification: { enabled: k.ENABLE_VERIFICATION, depth: k.VERIFICATION_DEPTH, subset: k.VERIFICATION_SUBSET },
    space: {
      maxRepoSize: k.MAX_REPO_SIZE,
      minFreePercent: k.MIN_FREE_PERCENT,
      lowSpaceAction: k.LOW_SPACE_ACTION,
      notifyBeforeDelete: k.NOTIFY_BEFORE_DELETE,
    },
  };
}

type KeepKeys = Partial<
  Pick<LocalBackupValues, `KEEP_${"LAST" | "HOURLY" | "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY" | "WITHIN"}`>
>;

/** The KEEP_* keys as a keep policy: only those set (or defaulted). */
export function keepPolicy(k: KeepKeys): KeepPolicy {
  const policy: KeepPolicy = {
    last: k.KEEP_LAST,
    hourly: k.KEEP_HOURLY,
    daily: k.KEEP_DAILY,
    weekly: k.KEEP_WEEKLY,
    monthly: k.KEEP_MONTHLY,
    yearly: k.KEEP_YEARLY,
    within: k.KEEP_WITHIN,
  };
  return Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)) as KeepPolicy;
}
