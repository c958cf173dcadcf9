import { z } from "zod";

/** What a value must look like, in words, for schemas whose own (zod) messages would read as jargon. */
const EXPECTED = new WeakMap<z.ZodType, string>();
function expecting<T extends z.ZodType>(schema: T, what: string): T {
  EXPECTED.set(schema, what);
  return schema;
}
/** "a number of seconds (1 to 604800), e.g. 10" for a schema built with expecting(); undefined otherwise. */
export function expectedValue(schema: z.ZodType): string | undefined {
  return EXPECTED.get(schema);
}
/** A whole number from min to max; `unit` ("seconds", "days") and an example make the message. */
const whole = (min: number, max: number, example: number, unit?: string) =>
  expecting(
    z.coerce.number().int().min(min).max(max),
    `a ${unit ? `number of ${unit}` : "whole number"} (${min} to ${max}), e.g. ${example}`,
  );

/** Seconds, as a positive whole number. */
const seconds = whole(1, 7 * 24 * 3600, 10, "seconds");
const count = whole(0, 100000, 7);
const bool = expecting(
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(["true", "false", "yes", "no", "1", "0", "on", "off"]))
    .transform((s) => ["true", "yes", "1", "on"].includes(s)),
  "true or false (yes/no, on/off and 1/0 work too)",
);
const text = expecting(z.string().trim().min(1).max(4096), "a value of at most 4096 characters");
const path = text.refine((p) => !p.includes("\0"), "must not contain NUL");
/** A cron expression: load.ts parses it with croner (this table stays free of imports for the example generator). */
const cron = text;
const resticDuration = z
  .string()
  .trim()
  .regex(/^(\d+[yYmMwdDhH])+$|^unlimited$/, "a restic duration such as 7d, 2w, 1y6m");
const size = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*[KMGT]?i?B?$/i, "a size such as 500G or 2T");
const percent = expecting(z.coerce.number().min(0).max(99), "a percentage (0 to 99), e.g. 10");
const strategy = z.enum(["stop", "down", "pause", "none", "snapshot"]);
const fallbackStrategy = z.enum(["stop", "down", "pause", "none"]);
const depth = z.enum(["metadata", "subset", "data", "files"]);
/** restic's --read-data-subset (a share, or part n of N), or next/N: rotating through N parts. */
export function isSubsetSpec(s: string): boolean {
  const share = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (share) return Number(share[1]) > 0 && Number(share[1]) <= 100;
  const part = /^(\d+)\/(\d+)$/.exec(s);
  if (part) return Number(part[1]) >= 1 && Number(part[1]) <= Number(part[2]);
  const next = /^next\/(\d+)$/.exec(s);
  return !!next && Number(next[1]) >= 2 && Number(next[1]) <= 10000;
}
const subsetSpec = z
  .string()
  .trim()
  .refine(isSubsetSpec, "a share such as 5%, a part n/N such as 1/10, or next/N such as next/12");
const bwlimit = z
  .string()
  .trim()
  .regex(
    /^(0|\d+(\.\d+)?[BKMGTP]?(:\d+(\.\d+)?[BKMGTP]?)?|off)$/i,
    "an rclone bandwidth such as 10M, 512K or 0 (unlimited)",
  );

export interface KeyDef {
  schema: z.ZodType;
  /**
   * Decides what gets deleted, or which snapshots are this host's: while a CONFIRM_PASSWORD_HASH is
   * set, read from the config file only (an environment override is refused, load.ts).
   */
  guarded?: boolean;
  /** In the recovery kit's config: a command (hook, password command) is removed whole; a URL keeps scheme and host only. */
  kit?: "command" | "url";
  /** Checked further by load.ts: a cron expression. */
  cron?: boolean;
  description: string;
  default?: string;
  secret?: boolean;
  example?: string;
}

/** Every key backup-tui reads, by section. This table is the config reference (README, config.example.ini). */
export const SECTIONS = {
  docker: {
    DOCKER_STACKS_DIR: {
      schema: path,
      description:
        "Directory whose sub-directories hold Compose projects (compose.yaml, docker-compose.yml, ...). Optional: stacks are also found from running containers' labels.",
      example: "/opt/stacks",
    },
    DOCKER_TIMEOUT: {
      schema: seconds,
      default: "300",
      description: "Seconds any single Docker or Compose operation may take before it is killed.",
    },
    STOP_TIMEOUT: {
      schema: seconds,
      default: "30",
      description: "Seconds a container gets to stop gracefully before Docker kills it.",
    },
    STOP_STRATEGY: {
      schema: strategy,
      default: "stop",
      description:
        "How stacks are quiesced for the backup: stop (Docker API stop/start), down (compose down / up -d), pause (freeze), none (hot backup), snapshot (freeze for a read-only btrfs snapshot, back up from it while the stack runs).",
    },
    SNAPSHOT_FALLBACK: {
      schema: fallbackStrategy,
      description:
        "Strategy for a snapshot stack whose data is not all on btrfs (said in the plan and the summary). Default: STOP_STRATEGY, or stop when that is snapshot.",
      example: "stop",
    },
    SNAPSHOT_FREEZE: {
      schema: z.enum(["pause", "stop"]),
      default: "pause",
      description:
        "How the snapshot strategy freezes a stack's running containers while its btrfs snapshots are taken: pause (well under a second) or stop (a clean shutdown, seconds).",
    },
    SNAPSHOT_MIN_FREE: {
      schema: size,
      default: "1G",
      description:
        "The snapshot strategy refuses a stack (no container is touched) when a btrfs filesystem holding its data has less free space than this: writes while the snapshot exists need room.",
      example: "1G",
    },
    TWO_PASS: {
      schema: bool,
      default: "true",
      description:
        "Low-downtime mode for stop/down: a hot pass while the stack runs, then a short final pass while it is stopped.",
    },
    COMPOSE_COMMAND: {
      kit: "command",
      schema: text,
      description:
        "Compose command for the down strategy: 'docker compose' (v2) or 'docker-compose' (v1). Detected when unset.",
      example: "docker compose",
    },
    BACKUP_BIND_MOUNTS: {
      schema: bool,
      default: "false",
      description: "Also back up bind mounts that lie outside the stack directory.",
    },
  },
  local_backup: {
    RESTIC_REPOSITORY: {
      schema: text,
      description: "restic repository: a local path, or s3:, rest:, sftp:, rclone: URL. Required in a config file.",
      example: "/mnt/backup/restic-repo",
    },
    RESTIC_PASSWORD: {
      schema: text,
      secret: true,
      description:
        "Repository password in clear (prefer RESTIC_PASSWORD_FILE). The config file must then be chmod 600.",
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
      schema: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, "a host name of letters, digits, '.', '_' and '-'"),
      description: "Host name recorded in snapshots (default: this machine's).",
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
      schema: z
        .string()
        .trim()
        .regex(/^(\d+(\.\d+)?(s|m|h|d|w))+$/, "a duration such as 24h or 2d"),
      description:
        "Space-based deletions become pending for this long (shown by status, announced, cancellable with `prune --cancel`) before the PRUNE job forgets them. Unset: at once.",
      example: "24h",
    },
  },
  cloud_sync: {
    RCLONE_REMOTE: {
      schema: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_.-][A-Za-z0-9_. -]*$/, "an rclone remote name"),
      description: "rclone remote the repository is mirrored to.",
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
      schema: expecting(z.coerce.number().int().min(0).max(100), "a whole percentage (0 to 100), e.g. 50"),
      default: "50",
      description:
        "Refuse a sync (exit 2, also with --dry-run) that would remove more than this share of the remote's snapshots, counted by ID: those on the remote the local repository lacks (a damaged or emptied local repository); --force overrides.",
    },
  },
  schedule: {
    BACKUP: {
      schema: cron,
      cron: true,
      description:
        "When enabled stacks are backed up: cron (minute hour day month weekday; 6 fields with seconds first; or @daily...). Stacks with their own SCHEDULE are left to it.",
      example: "0 3 * * *",
    },
    SYNC: {
      schema: cron,
      cron: true,
      description: "When the repository is synced to the cloud (needs [cloud_sync]).",
      example: "0 5 * * *",
    },
    VERIFY: {
      schema: cron,
      cron: true,
      description:
        "When the repository is verified, at VERIFICATION_DEPTH (files: restores each stack's newest snapshot and loads its database dumps).",
      example: "0 6 * * 0",
    },
    PRUNE: {
      schema: cron,
      cron: true,
      description:
        "When the keep policy is applied and unused data pruned (no confirmation asked: the policy is the consent).",
      example: "30 4 * * 0",
    },
    OVERDUE_AFTER: {
      schema: z
        .string()
        .trim()
        .regex(/^(\d+(\.\d+)?(s|m|h|d|w))+$/, "a duration such as 36h or 8d"),
      description:
        "A stack whose last good backup is older than this is overdue (status, notification). Default: twice the longest gap of its schedule.",
      example: "36h",
    },
    DOOMSDAY: {
      schema: cron,
      cron: true,
      description:
        "When the full-host (doomsday) backup runs: `backup --doomsday`, every stack plus the host's Docker world and the recovery kit.",
      example: "0 1 * * 0",
    },
    PAUSED: {
      schema: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_.:-]+(\s*,\s*[A-Za-z0-9_.:-]+)*$/, "a comma list of job ids such as sync, backup:db"),
      description:
        "Scheduled jobs switched off without losing their schedule (comma list of backup, sync, verify, prune, doomsday, backup:NAME): the daemon does not run them, `schedule install` leaves them out, `schedule list` says so. The TUI's Schedules screen toggles it.",
      example: "sync, backup:db",
    },
  },
  doomsday: {
    SAVE_IMAGES: {
      schema: text,
      default: "off",
      description:
        "Images `docker save`d into the doomsday snapshot (loaded back by `restore --disaster` when missing): off, local (every image with no registry digest: built here, cannot be pulled again), or a comma list of image names.",
    },
    PASSWORD_HINT: {
      schema: text,
      description:
        "Where you keep the repository password, written into the recovery kit's runbook (never the password itself).",
      example: "password manager, entry 'backup-tui restic'",
    },
    DAEMON_CONFIG: {
      schema: path,
      default: "/etc/docker/daemon.json",
      description: "The Docker daemon's config file, kept in the doomsday snapshot when it exists.",
    },
    PORTAINER_URL: {
      kit: "url",
      schema: text,
      description:
        "Portainer to back up through its API (POST /api/backup) into the doomsday snapshot; unreachable is a warning, not a failure.",
      example: "https://127.0.0.1:9443",
    },
    PORTAINER_TOKEN: {
      schema: text,
      secret: true,
      description: "Portainer access token (X-API-Key) for PORTAINER_URL.",
      example: "ptr_AbCdEf123456",
    },
  },
  notify: {
    WEBHOOK_URL: { schema: text, secret: true, description: "Generic JSON webhook." },
    NTFY_URL: { schema: text, secret: true, description: "ntfy topic URL." },
    GOTIFY_URL: { kit: "url", schema: text, description: "Gotify server URL." },
    GOTIFY_TOKEN: { schema: text, secret: true, description: "Gotify application token." },
    HEALTHCHECKS_URL: { schema: text, secret: true, description: "healthchecks.io-style ping URL." },
    NOTIFY_ON: { schema: text, default: "failure", description: "Comma list of failure, partial, success." },
    PROMETHEUS_TEXTFILE: {
      schema: path,
      description: "Write metrics here after every run, for node_exporter's textfile collector.",
      example: "/var/lib/node_exporter/textfile_collector/backup_tui.prom",
    },
  },
  security: {
    CONFIRM_PASSWORD_HASH: {
      schema: text,
      secret: true,
      description: "scrypt hash of the confirmation password for destructive actions.",
    },
  },
} satisfies Record<string, Record<string, KeyDef>>;

/** Keys of a [stack:NAME] section. */
export const STACK_KEYS = {
  STOP_STRATEGY: { schema: strategy, description: "Overrides [docker] STOP_STRATEGY for this stack." },
  TWO_PASS: { schema: bool, description: "Overrides [docker] TWO_PASS for this stack." },
  SCHEDULE: {
    schema: cron,
    cron: true,
    description: "This stack's own backup schedule (cron); the [schedule] BACKUP run then leaves it out.",
    example: "0 2 * * 0",
  },
  KEEP_LAST: { guarded: true, schema: count, description: "Retention override." },
  KEEP_HOURLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_DAILY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_WEEKLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_MONTHLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_YEARLY: { guarded: true, schema: count, description: "Retention override." },
  KEEP_WITHIN: { guarded: true, schema: resticDuration, description: "Retention override." },
  EXCLUDE: { schema: text, description: "Comma list of glob patterns excluded from this stack's backup." },
  EXTRA_PATHS: { schema: text, description: "Comma list of extra absolute paths backed up with this stack." },
  PRE_HOOK: {
    kit: "command",
    schema: text,
    description: "Command run (sh -c) before the stack is backed up; failing fails the stack.",
  },
  POST_HOOK: { kit: "command", schema: text, description: "Command run after the stack's backup, whatever happened." },
  HOOK_TIMEOUT: { schema: seconds, default: "300", description: "Seconds a hook may take." },
  DUMP: {
    schema: text,
    description:
      "Database dumps, as the backup-tui.dump labels declare them: comma list of SERVICE:ENGINE[:user=U][:database=D][:path=/file/in/container.db], ENGINE postgres, mariadb or sqlite. Overrides a label on the same service.",
    example: "db:postgres:database=app, cache:sqlite:path=/data/cache.db",
  },
} satisfies Record<string, KeyDef>;

export type SectionName = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

/** Legacy flat files: which section a bare key belongs to. */
export function sectionOfKey(key: string): SectionName | undefined {
  return SECTION_NAMES.find((s) => key in SECTIONS[s]);
}
