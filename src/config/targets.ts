import { isAbsolute, resolve } from "node:path";
import { redact } from "../exec/redact";
import { parseSection } from "./parse-section";
import type { RawSections } from "./raw";
import { checkCron } from "./rules";
import type { CLOUD_SYNC_KEYS } from "./schema/cloud-sync";
import type { SectionValues } from "./schema/key-def";
import { SYNC_TARGET_KEYS, type SyncMode } from "./schema/sync-target";
import type { PasswordSource } from "./types";

export type { SyncMode } from "./schema/sync-target";

/** One copy of the repository off this host: [cloud_sync] (named `default`) or a [cloud_sync:NAME]. */
export interface SyncTarget {
  name: string;
  /** Its config section: cloud_sync or cloud_sync:NAME. */
  section: string;
  mode: SyncMode;
  /** MODE=mirror/append: the rclone remote and path. */
  remote?: string;
  path?: string;
  /** MODE=restic: the target repository and its password. */
  repository?: string;
  password?: PasswordSource;
  transfers: number;
  bandwidth?: string;
  keepDeletedDays: number;
  maxDeletePercent: number;
  /** Its own schedule; it is then left out of [schedule] SYNC. */
  schedule?: string;
}

export const DEFAULT_TARGET = "default";
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const PREFIX = "cloud_sync:";

type CloudValues = SectionValues<typeof CLOUD_SYNC_KEYS>;

/** Where a target is, for messages and reports: remote:path, or the repository with its credentials masked. */
export function targetWhere(t: Pick<SyncTarget, "mode" | "remote" | "path" | "repository">): string {
  return t.mode === "restic" ? redact(t.repository ?? "") : `${t.remote}:${t.path}`;
}

/** Every copy the config declares: [cloud_sync] first (when it names a remote or repository), then each [cloud_sync:NAME] in file order. */
export function readTargets(
  raw: RawSections,
  cloud: CloudValues,
  baseDir: string,
  errors: string[],
  warnings: string[],
): SyncTarget[] {
  const targets: SyncTarget[] = [];
  const first = target(DEFAULT_TARGET, "cloud_sync", cloud, cloud, raw, baseDir, errors, warnings);
  if (first) targets.push(first);
  for (const section of Object.keys(raw).filter((s) => s.startsWith(PREFIX))) {
    const name = section.slice(PREFIX.length);
    const at = Object.values(raw[section])[0]?.origin ?? "config";
    if (!TARGET_NAME.test(name)) {
      errors.push(`${at}: [${section}]: a target name is 1 to 32 letters, digits, '_' and '-'`);
      continue;
    }
    if (name.toLowerCase() === DEFAULT_TARGET) {
      errors.push(`${at}: [${section}]: the name "default" is [cloud_sync]'s own; choose another name`);
      continue;
    }
    const values = parseSection(SYNC_TARGET_KEYS, section, raw, errors);
    checkCron(SYNC_TARGET_KEYS, values, section, raw, errors);
    const t = target(name, section, values, cloud, raw, baseDir, errors, warnings);
    if (!t) {
      errors.push(
        `${at}: [${section}] names no copy: set RCLONE_REMOTE and RCLONE_PATH (MODE=mirror or append) or MODE=restic with RESTIC_REPOSITORY`,
      );
      continue;
    }
    targets.push(t);
  }
  const seen = new Map<string, SyncTarget>();
  for (const t of targets) {
    const key = t.mode === "restic" ? `restic ${t.repository}` : `rclone ${t.remote}:${t.path?.replace(/\/+$/, "")}`;
    const other = seen.get(key);
    if (other)
      errors.push(
        `[${t.section}] writes where [${other.section}] does (${targetWhere(t)}): two targets would overwrite each other; give each its own path`,
      );
    seen.set(key, t);
  }
  return targets;
}

type TargetValues = Partial<SectionValues<typeof SYNC_TARGET_KEYS>>;

function target(
  name: string,
  section: string,
  v: TargetValues,
  cloud: CloudValues,
  raw: RawSections,
  baseDir: string,
  errors: string[],
  warnings: string[],
): SyncTarget | undefined {
  const mode = v.MODE ?? "mirror";
  const origin = (key: string) => raw[section]?.[key]?.origin ?? section;
  const foreign = (keys: string[], why: string) => {
    for (const key of keys)
      if (raw[section]?.[key]) warnings.push(`${origin(key)}: [${section}] ${key} is ignored: ${why}`);
  };
  const common = {
    name,
    section,
    mode,
    transfers: v.TRANSFERS ?? cloud.TRANSFERS,
    bandwidth: v.BANDWIDTH ?? cloud.BANDWIDTH ?? cloud.BANDWIDTH_LIMIT,
    keepDeletedDays: v.KEEP_DELETED_DAYS ?? cloud.KEEP_DELETED_DAYS,
    maxDeletePercent: v.MAX_DELETE_PERCENT ?? cloud.MAX_DELETE_PERCENT,
    schedule: v.SCHEDULE,
  };
  // [cloud_sync]'s deletion keys are also what the [cloud_sync:NAME] mirrors inherit.
  if (mode !== "mirror" && section !== "cloud_sync")
    foreign(["KEEP_DELETED_DAYS", "MAX_DELETE_PERCENT"], `MODE=${mode} never deletes on the target`);
  if (mode === "restic") {
    foreign(
      ["RCLONE_REMOTE", "RCLONE_PATH", "BANDWIDTH", "TRANSFERS"],
      "MODE=restic writes through restic, not rclone",
    );
    if (!v.RESTIC_REPOSITORY) {
      if (raw[section]?.MODE)
        errors.push(`${origin("MODE")}: [${section}] MODE=restic needs RESTIC_REPOSITORY (the target repository)`);
      return undefined;
    }
    const set = ["RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"].filter((k) => raw[section]?.[k]);
    if (set.length !== 1)
      errors.push(
        `${origin("RESTIC_REPOSITORY")}: [${section}] MODE=restic needs exactly one of RESTIC_PASSWORD_FILE, RESTIC_PASSWORD_COMMAND (the target repository's password)`,
      );
    const password: PasswordSource = v.RESTIC_PASSWORD_FILE
      ? { kind: "file", path: resolve(baseDir, v.RESTIC_PASSWORD_FILE), origin: origin("RESTIC_PASSWORD_FILE") }
      : v.RESTIC_PASSWORD_COMMAND
        ? { kind: "command", command: v.RESTIC_PASSWORD_COMMAND, origin: origin("RESTIC_PASSWORD_COMMAND") }
        : { kind: "none" };
    return { ...common, repository: resolveRepository(v.RESTIC_REPOSITORY, baseDir), password };
  }
  foreign(
    ["RESTIC_REPOSITORY", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"],
    `MODE=${mode} copies the repository's files with rclone (MODE=restic uses these)`,
  );
  if (!v.RCLONE_REMOTE) {
    if (v.RCLONE_PATH && section !== "cloud_sync")
      errors.push(`${origin("RCLONE_PATH")}: [${section}] RCLONE_REMOTE is required with RCLONE_PATH`);
    return undefined;
  }
  if (!v.RCLONE_PATH) {
    errors.push(
      `${origin("RCLONE_REMOTE")}: [${section}] RCLONE_PATH is required when RCLONE_REMOTE is set (one remote path per repository)`,
    );
    return undefined;
  }
  return { ...common, remote: v.RCLONE_REMOTE, path: v.RCLONE_PATH };
}

/** Local repository paths are made absolute relative to the config; URLs stay as they are. */
export function resolveRepository(repo: string, baseDir: string): string {
  if (/^(s3|b2|azure|gs|swift|rest|sftp|rclone|local):/.test(repo)) return repo;
  return isAbsolute(repo) ? repo : resolve(baseDir, repo);
}
