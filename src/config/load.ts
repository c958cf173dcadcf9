import { btui } from "../command-hint";
import { readFileSync, statSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { z } from "zod";
import { ConfigError, UsageError } from "../errors";
import { CronError, parseSchedule } from "../schedule/cron";
import { MASK, redact, Secret } from "../exec/redact";
import { parseIni } from "./ini-file";
import { SECTIONS, SECTION_NAMES, STACK_KEYS, sectionOfKey, type KeyDef, type SectionName } from "./keys";
import { belongsIn, byLine, expectation, suggest, suggestSection } from "./messages";
import { defaultStateDir, locateConfig, locateDirlist, type LocateInput } from "./locate";
import { dumpDeclarations } from "./dump-declarations";
import { passwordSource } from "./password-source";
import { checkPermissions } from "./permissions";
import type { Config, EffectiveKeys, KeepPolicy, StackSettings, Strategy, VerifyLevel } from "./types";

export interface LoadInput extends LocateInput {
  uid: number;
}

export interface RawValue {
  value: string;
  origin: string;
}
export type RawSections = Record<string, Record<string, RawValue>>;

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Loads, validates and normalises the configuration. Throws ConfigError (exit 78) naming file, key and expectation. */
export function loadConfig(input: LoadInput): Config {
  const file = locateConfig(input);
  const stateDir = defaultStateDir(input.env, input.uid, input.home);
  const warnings: string[] = [];
  const errors: string[] = [];
  const hints: string[] = [];
  /** Keys of sections backup-tui does not read (a misspelt [local-backup]): key → where. */
  const ignored = new Map<string, string>();
  const raw: RawSections = {};
  let format: Config["source"]["format"] = "embedded";

  if (file) {
    let bytes: Buffer;
    try {
      // A FIFO or /dev/zero would block or fill memory: only a regular file of sane size is read.
      const st = statSync(file);
      if (!st.isFile())
        throw new ConfigError(`${file} is not a regular file`, "Point --config (or BACKUP_TUI_CONFIG) at an INI file.");
      if (st.size > 1024 * 1024) throw new ConfigError(`${file}: ${st.size} bytes is too large for a config file`);
      bytes = readFileSync(file);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(
        `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        "Check the file's permissions.",
      );
    }
    if (bytes.length > 1024 * 1024)
      throw new ConfigError(`${file}: ${bytes.length} bytes is too large for a config file`);
    const doc = parseIni(bytes, file);
    warnings.push(...doc.warnings);
    errors.push(...doc.errors);
    hints.push(...doc.hints);
    const hasSections = Object.keys(doc.sections).length > 0;
    format = hasSections ? "sectioned" : "legacy";
    for (const [key, value] of Object.entries(doc.flat)) {
      const section = sectionOfKey(key);
      const origin = `${file}:${doc.lines.get(`.${key}`) ?? "?"}`;
      if (!section)
        warnings.push(
          `${origin}: unknown key ${key} (ignored)${suggest(
            key,
            SECTION_NAMES.flatMap((s) => Object.keys(SECTIONS[s])),
          )}`,
        );
      else put(raw, section, key, { value, origin });
    }
    for (const [section, keys] of Object.entries(doc.sections)) {
      const known = section in SECTIONS || section.startsWith("stack:");
      if (!known) {
        const line = doc.lines.get(`[${section}]`) ?? doc.lines.get(`${section}.${Object.keys(keys)[0]}`) ?? "?";
        warnings.push(
          `${file}:${line}: unknown section [${section}] (ignored, with its ${Object.keys(keys).length} key(s))${suggestSection(section)}`,
        );
        for (const key of Object.keys(keys))
          ignored.set(key, `${file}:${doc.lines.get(`${section}.${key}`) ?? line} in [${section}]`);
        continue;
      }
      for (const [key, value] of Object.entries(keys)) {
        put(raw, section, key, { value, origin: `${file}:${doc.lines.get(`${section}.${key}`) ?? "?"}` });
      }
    }
    checkPermissions(file, raw);
  }

  // While a confirmation password is set, what decides deletions is the config file's alone: an
  // unguarded command (backup with AUTO_PRUNE or LOW_SPACE_ACTION, the PRUNE job) would otherwise
  // delete whatever a caller's environment says, without the password. Every path loads config here.
  const gated = !!raw.security?.CONFIRM_PASSWORD_HASH;
  const refused: string[] = [];
  for (const section of SECTION_NAMES) {
    for (const [key, def] of Object.entries(SECTIONS[section]) as Array<[string, KeyDef]>) {
      const name = envName(section, key);
      const value = input.env[name];
      if (value === undefined || value === "") continue;
      // The gate before destructive actions is the config file's: the caller's environment cannot replace it.
      if (section === "security" && key === "CONFIRM_PASSWORD_HASH") {
        warnings.push(
          `environment ${name} is ignored: the confirmation password hash is read from the config file only`,
        );
        continue;
      }
      if (def.guarded && gated) {
        refused.push(name);
        continue;
      }
      // An overriding password source replaces the file's, whichever kind it was.
      if (section === "local_backup" && PASSWORD_KEYS.includes(key))
        for (const k of PASSWORD_KEYS) delete raw.local_backup?.[k];
      put(raw, section, key, { value, origin: `environment ${name}` });
    }
  }
  if (refused.length) {
    throw new UsageError(
      `refusing the environment override${refused.length > 1 ? "s" : ""} ${refused.join(", ")}: while a confirmation password is set, the keys that decide what gets deleted (retention, space limits, the host name, sync's deletions) are read from the config file only; nothing was changed`,
      `Edit ${file} instead (or unset ${refused.length > 1 ? "those variables" : "the variable"}).`,
    );
  }

  const v = <T>(section: SectionName, key: string): T | undefined => {
    const defs = SECTIONS[section] as Record<string, KeyDef>;
    return validate<T>(defs[key], raw[section]?.[key], section, key, errors);
  };
  for (const [section, keys] of Object.entries(raw)) {
    const defs: Record<string, KeyDef> = section.startsWith("stack:")
      ? STACK_KEYS
      : (SECTIONS as Record<string, Record<string, KeyDef>>)[section];
    for (const [key, rv] of Object.entries(keys)) {
      if (!(key in defs))
        warnings.push(
          `${rv.origin}: unknown key ${key} in [${section}] (ignored)${belongsIn(key, section) ?? suggest(key, Object.keys(defs))}`,
        );
    }
  }

  const baseDir = file ? dirname(file) : input.cwd;
  const repository = v<string>("local_backup", "RESTIC_REPOSITORY");
  if (file && !repository) {
    const misplaced = ignored.get("RESTIC_REPOSITORY");
    errors.push(
      misplaced
        ? `${misplaced.replace(/ in \[/, ": [")} RESTIC_REPOSITORY is ignored, so [local_backup] RESTIC_REPOSITORY is missing: it belongs in [local_backup]`
        : `${file}: [local_backup] RESTIC_REPOSITORY is required (a local path or a restic URL such as s3:...)`,
    );
  }

  const password = passwordSource(raw, v, baseDir, input.env, !file, stateDir, warnings, errors);
  const keep = keepPolicy((k) => v<number | string>("local_backup", k));

  const stacks: Record<string, StackSettings> = {};
  for (const section of Object.keys(raw).filter((s) => s.startsWith("stack:"))) {
    const name = section.slice("stack:".length);
    if (!STACK_NAME.test(name)) {
      errors.push(
        `${Object.values(raw[section])[0]?.origin ?? file}: [${section}]: a stack name is letters, digits, '.', '_' and '-'`,
      );
      continue;
    }
    const s = <T>(key: keyof typeof STACK_KEYS) =>
      validate<T>(STACK_KEYS[key], raw[section][key], section, key, errors);
    const stackKeep = keepPolicy((k) => s<number | string>(k as keyof typeof STACK_KEYS));
    stacks[name] = {
      strategy: s<Strategy>("STOP_STRATEGY"),
      twoPass: s<boolean>("TWO_PASS"),
      schedule: s<string>("SCHEDULE"),
      // Each KEEP_* a stack sets overrides the global one; the others stay the global setting.
      keep: Object.keys(stackKeep).length ? { ...keep, ...stackKeep } : undefined,
      exclude: list(s<string>("EXCLUDE")),
      extraPaths: list(s<string>("EXTRA_PATHS")),
      preHook: s<string>("PRE_HOOK"),
      postHook: s<string>("POST_HOOK"),
      hookTimeoutSec: s<number>("HOOK_TIMEOUT")!,
      dumps: dumpDeclarations(s<string>("DUMP"), `${raw[section].DUMP?.origin}: [${section}] DUMP`, errors),
    };
    for (const p of stacks[name].extraPaths) {
      if (!p.startsWith("/"))
        errors.push(
          `${raw[section].EXTRA_PATHS?.origin}: [${section}] EXTRA_PATHS: ${JSON.stringify(p)} must be an absolute path`,
        );
    }
  }

  const cloud = {
    remote: v<string>("cloud_sync", "RCLONE_REMOTE"),
    path: v<string>("cloud_sync", "RCLONE_PATH"),
    binary: v<string>("cloud_sync", "RCLONE_BINARY")!,
    transfers: v<number>("cloud_sync", "TRANSFERS")!,
    retries: v<number>("cloud_sync", "RETRIES")!,
    bandwidth: v<string>("cloud_sync", "BANDWIDTH") ?? v<string>("cloud_sync", "BANDWIDTH_LIMIT"),
    syncTimeoutSec: v<number>("cloud_sync", "SYNC_TIMEOUT")!,
    configFile: ((f) => (f ? resolve(baseDir, f) : undefined))(v<string>("cloud_sync", "RCLONE_CONFIG")),
    keepDeletedDays: v<number>("cloud_sync", "KEEP_DELETED_DAYS")!,
    maxDeletePercent: v<number>("cloud_sync", "MAX_DELETE_PERCENT")!,
  };
  if (cloud.remote && !cloud.path)
    errors.push("[cloud_sync] RCLONE_PATH is required when RCLONE_REMOTE is set (one remote path per repository)");

  const notifyOn = list(v<string>("notify", "NOTIFY_ON"));
  for (const n of notifyOn)
    if (!["failure", "partial", "success"].includes(n))
      errors.push(
        `${raw.notify?.NOTIFY_ON?.origin}: [notify] NOTIFY_ON: ${JSON.stringify(n)} is not one of failure, partial, success`,
      );
  const secret = (section: SectionName, key: string) => {
    const s = v<string>(section, key);
    return s === undefined ? undefined : new Secret(s);
  };

  const stacksDir = v<string>("docker", "DOCKER_STACKS_DIR");
  // Built before the error check: every v() below validates, and must be able to report.
  const config: Config = {
    source: { file, format },
    stateDir,
    dirlistFile: locateDirlist(file, v<string>("local_backup", "DIRLIST_FILE"), stateDir),
    hostname: v<string>("local_backup", "HOSTNAME") ?? osHostname(),
    docker: {
      stacksDir: stacksDir ? resolve(baseDir, stacksDir) : undefined,
      timeoutSec: v<number>("docker", "DOCKER_TIMEOUT")!,
      stopTimeoutSec: v<number>("docker", "STOP_TIMEOUT")!,
      strategy: v<Strategy>("docker", "STOP_STRATEGY")!,
      twoPass: v<boolean>("docker", "TWO_PASS")!,
      composeCommand: v<string>("docker", "COMPOSE_COMMAND"),
      backupBindMounts: v<boolean>("docker", "BACKUP_BIND_MOUNTS")!,
      snapshotFallback: v<Exclude<Strategy, "snapshot">>("docker", "SNAPSHOT_FALLBACK"),
      snapshotFreeze: v<"pause" | "stop">("docker", "SNAPSHOT_FREEZE")!,
      snapshotMinFree: v<string>("docker", "SNAPSHOT_MIN_FREE")!,
    },
    restic: {
      repository: repository ? resolveRepository(repository, baseDir) : join(stateDir, "repository"),
      password,
      binary: v<string>("local_backup", "RESTIC_BINARY")!,
      backupTimeoutSec: v<number>("local_backup", "BACKUP_TIMEOUT")!,
      compression: v<string>("local_backup", "COMPRESSION"),
      autoInit: !file && !repository,
    },
    retention: { keep, autoPrune: v<boolean>("local_backup", "AUTO_PRUNE")! },
    verification: {
      enabled: v<boolean>("local_backup", "ENABLE_VERIFICATION")!,
      depth: v<VerifyLevel>("local_backup", "VERIFICATION_DEPTH")!,
      subset: v<string>("local_backup", "VERIFICATION_SUBSET")!,
    },
    space: {
      maxRepoSize: v<string>("local_backup", "MAX_REPO_SIZE"),
      minFreePercent: v<number>("local_backup", "MIN_FREE_PERCENT"),
      lowSpaceAction: v<"prune" | "skip">("local_backup", "LOW_SPACE_ACTION")!,
      notifyBeforeDelete: v<string>("local_backup", "NOTIFY_BEFORE_DELETE"),
    },
    cloud,
    schedule: {
      backup: v<string>("schedule", "BACKUP"),
      sync: v<string>("schedule", "SYNC"),
      verify: v<string>("schedule", "VERIFY"),
      prune: v<string>("schedule", "PRUNE"),
      doomsday: v<string>("schedule", "DOOMSDAY"),
      overdueAfter: v<string>("schedule", "OVERDUE_AFTER"),
      paused: v<string>("schedule", "PAUSED"),
    },
    notify: {
      webhookUrl: secret("notify", "WEBHOOK_URL"),
      ntfyUrl: secret("notify", "NTFY_URL"),
      gotifyUrl: v<string>("notify", "GOTIFY_URL"),
      gotifyToken: secret("notify", "GOTIFY_TOKEN"),
      healthchecksUrl: secret("notify", "HEALTHCHECKS_URL"),
      on: notifyOn,
      prometheusTextfile: ((f) => (f ? resolve(baseDir, f) : undefined))(v<string>("notify", "PROMETHEUS_TEXTFILE")),
    },
    security: { confirmPasswordHash: secret("security", "CONFIRM_PASSWORD_HASH") },
    doomsday: {
      saveImages: v<string>("doomsday", "SAVE_IMAGES")!,
      passwordHint: v<string>("doomsday", "PASSWORD_HINT"),
      daemonConfig: v<string>("doomsday", "DAEMON_CONFIG")!,
      portainerUrl: v<string>("doomsday", "PORTAINER_URL"),
      portainerToken: secret("doomsday", "PORTAINER_TOKEN"),
    },
    stacks,
    warnings,
  };
  warnings.sort(byLine);
  config.keys = effectiveKeys(raw);
  if (errors.length) {
    errors.sort(byLine);
    // Every problem at once, in the file's line order; the warnings too (a misspelt section often explains an error).
    const also = warnings.length ? `\nand ${warnings.length} warning(s):\n  ${warnings.join("\n  ")}` : "";
    throw new ConfigError(
      errors.length === 1 && !also
        ? errors[0]
        : `${errors.length} problem${errors.length > 1 ? "s" : ""} in the configuration:\n  ${errors.join("\n  ")}${also}`,
      [
        ...new Set(hints),
        `Fix the values named above; \`${btui("config validate")}\` checks again, \`${btui("config example")}\` prints every key with its description.`,
      ].join(" "),
    );
  }
  return config;
}

/** An empty value means "not set" (seed templates leave unused keys blank). */
function put(raw: RawSections, section: string, key: string, value: RawValue): void {
  if (value.value.trim() === "" || value.value.trim() === '""') return;
  (raw[section] ??= {})[key] = value;
}

const PASSWORD_KEYS = ["RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"];

function validate<T>(
  def: KeyDef,
  rv: RawValue | undefined,
  section: string,
  key: string,
  errors: string[],
): T | undefined {
  // An unset key is its documented default (keys.ts), parsed like a written value.
  if (!rv) return def.default === undefined ? undefined : (def.schema.parse(def.default) as T);
  const value = rv.value.replace(/^(["'])(.*)\1$/, "$2");
  const r = (def.schema as z.ZodType).safeParse(value);
  if (r.success && def.cron) {
    try {
      parseSchedule(r.data as string);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      errors.push(
        `${rv.origin}: [${section}] ${key}: not a valid cron expression: ${err.message} (got ${JSON.stringify(value.slice(0, 60))})`,
      );
      return undefined;
    }
  }
  if (r.success) return r.data as T;
  const shown = def.secret ? "" : ` (got ${JSON.stringify(value.slice(0, 60))})`;
  errors.push(`${rv.origin}: [${section}] ${key}: ${expectation(def, r.error.issues)}${shown}`);
  return undefined;
}

/** The environment variable that overrides a key: BACKUP_TUI_<SECTION>_<KEY>. */
export function envName(section: string, key: string): string {
  return `BACKUP_TUI_${section.toUpperCase()}_${key}`;
}

/** Every key as written (or its default), per section, for `config show`: secrets masked, URL credentials too. */
function effectiveKeys(raw: RawSections): EffectiveKeys {
  const out: EffectiveKeys = {};
  const add = (section: string, defs: Record<string, KeyDef>) => {
    const shown: EffectiveKeys[string] = {};
    for (const [key, def] of Object.entries(defs)) {
      const rv = raw[section]?.[key];
      if (!rv && def.default === undefined) continue;
      const value = rv ? rv.value.replace(/^(["'])(.*)\1$/, "$2") : def.default!;
      shown[key] = { value: def.secret ? MASK : redact(value), origin: rv?.origin ?? "default" };
    }
    out[section] = shown;
  };
  for (const section of SECTION_NAMES) add(section, SECTIONS[section]);
  for (const section of Object.keys(raw)
    .filter((s) => s.startsWith("stack:"))
    .sort())
    add(section, STACK_KEYS);
  return out;
}

function list(s: string | undefined): string[] {
  return (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

function keepPolicy(get: (key: string) => number | string | undefined): KeepPolicy {
  const k: KeepPolicy = {};
  const n = (key: string) => get(key) as number | undefined;
  if (n("KEEP_LAST") !== undefined) k.last = n("KEEP_LAST");
  if (n("KEEP_HOURLY") !== undefined) k.hourly = n("KEEP_HOURLY");
  if (n("KEEP_DAILY") !== undefined) k.daily = n("KEEP_DAILY");
  if (n("KEEP_WEEKLY") !== undefined) k.weekly = n("KEEP_WEEKLY");
  if (n("KEEP_MONTHLY") !== undefined) k.monthly = n("KEEP_MONTHLY");
  if (n("KEEP_YEARLY") !== undefined) k.yearly = n("KEEP_YEARLY");
  const within = get("KEEP_WITHIN");
  if (within !== undefined) k.within = String(within);
  return k;
}

/** Local repository paths are made absolute relative to the config; URLs stay as they are. */
function resolveRepository(repo: string, baseDir: string): string {
  if (/^(s3|b2|azure|gs|swift|rest|sftp|rclone|local):/.test(repo)) return repo;
  return resolve(baseDir, repo);
}
