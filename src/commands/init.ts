import { btui } from "../command-hint";
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ensureStateDir, exeDir, openLogger, readConfig, type CommandEnv } from "../app";
import { SECTIONS } from "../config/keys";
import { loadConfig } from "../config/load";
import { defaultStateDir, locateConfig } from "../config/locate";
import { ensurePasswordFile } from "../config/password-file";
import type { Config, PasswordSource } from "../config/types";
import { AppError, ConfigError, UsageError } from "../errors";
import { ProcessRunner } from "../exec/runner";
import { cloudCopyOf } from "../restic/errors";
import { Restic } from "../restic/restic";

type Status = "created" | "exists";
type PasswordStatus = Status | "copied";

/**
 * Writes a starter config (never over an existing one), the repository password file and the
 * repository. Every step is idempotent, so running init again only fills in what is missing.
 */
export async function run(env: CommandEnv, o: { dir?: string; repository?: string }): Promise<number> {
  const uid = process.getuid?.() ?? 1000;
  const found = target(env, o, uid);
  let configStatus: Status = "exists";
  let config: Config;
  if ("file" in found && !existsSync(found.file)) {
    writeStarterConfig(found.file, o.repository, defaultStateDir(process.env, uid));
    configStatus = "created";
    config = loadAt(found.file, uid);
  } else {
    config = "file" in found ? loadAt(found.file, uid) : found.existing;
    if (o.repository)
      env.printer.warn(
        `${config.source.file} already exists: --repository ignored (it uses ${config.restic.repository})`,
      );
  }
  for (const w of config.warnings) env.printer.warn(w);
  ensureStateDir(config);
  const runner = new ProcessRunner(openLogger(config, env.globals));
  const restic = new Restic(runner, {
    binary: config.restic.binary,
    repository: config.restic.repository,
    password: config.restic.password,
    workDir: config.stateDir,
    cloudCopy: cloudCopyOf(config),
  });
  await restic.features(); // restic present and new enough, before anything is created

  // The embedded default may already have a repository: its password moves with it.
  const adopted = configStatus === "created" && !o.repository ? adoptEmbeddedPassword(config) : undefined;
  const password = adopted ?? ensurePassword(config);
  for (const f of [config.source.file, password.path]) {
    if (f && statSync(f).mode & 0o077) env.printer.warn(`${f} is readable by other users; run: chmod 600 ${f}`);
  }
  let repoStatus: Status;
  try {
    repoStatus = await restic.init(env.signal);
  } catch (err) {
    // A fresh random password cannot open a repository someone else created: do not leave it behind.
    if (password.status === "created" && (err as { kind?: string }).kind === "wrong-password" && password.path)
      unlinkSync(password.path);
    throw err;
  }

  const notice = passwordNotice(config.restic.password, config.source.file);
  const next = (args: string) => btui(args, { config: flagFor(config.source.file) });
  const data = {
    type: "init",
    config: { file: config.source.file, status: configStatus },
    password: { source: config.restic.password.kind, file: password.path, status: password.status },
    repository: { location: config.restic.repository, status: repoStatus },
    stateDir: config.stateDir,
    important: notice,
  };
  env.printer.result(data, () => {
    const said = (s: PasswordStatus, created: string) =>
      s === "created"
        ? created
        : s === "copied"
          ? `copied from ${join(config.stateDir, "password")}, the embedded default's`
          : "exists, left unchanged";
    return [
      `config:      ${config.source.file} (${said(configStatus, "created, mode 0600")})`,
      password.path
        ? `password:    ${password.path} (${said(password.status, "created, mode 0600, random")})`
        : `password:    ${config.restic.password.kind} source (${config.restic.password.kind === "none" ? "none" : config.restic.password.origin})`,
      `repository:  ${config.restic.repository} (${repoStatus === "created" ? "created" : "exists, opens with the password"})`,
      "",
      box(notice),
      "",
      configStatus === "created"
        ? `Next: edit ${config.source.file} (DOCKER_STACKS_DIR, [cloud_sync]), then run \`${next("doctor")}\` and \`${next("backup")}\`.`
        : `Next: \`${next("doctor")}\`, then \`${next("backup")}\`.`,
    ].join("\n");
  });
  return 0;
}

/**
 * The config init works on: config.ini in --dir; else a --config file that does not exist yet;
 * else the config found the usual way; else config.ini in the default place.
 */
function target(env: CommandEnv, o: { dir?: string }, uid: number): { file: string } | { existing: Config } {
  if (o.dir) return { file: resolve(o.dir, "config.ini") };
  if (env.globals.config && !existsSync(resolve(env.globals.config))) return { file: resolve(env.globals.config) };
  const existing = readConfig(env.globals);
  if (existing.source.file) return { existing };
  return { file: uid === 0 ? "/etc/backup-tui/config.ini" : join(homedir(), ".config", "backup-tui", "config.ini") };
}

/** The config file the next commands must name: the one init used, unless it is found without --config. */
function flagFor(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return locateConfig({ env: process.env, exeDir: exeDir(), cwd: process.cwd() }) === file ? undefined : file;
  } catch {
    return file; // BACKUP_TUI_CONFIG names a missing file: only --config finds this one
  }
}

function loadAt(file: string, uid: number): Config {
  return loadConfig({ flag: file, env: process.env, exeDir: exeDir(), cwd: process.cwd(), uid });
}

const RESTIC_URL = /^(s3|b2|azure|gs|swift|rest|sftp|rclone|local):/;

function writeStarterConfig(file: string, repository: string | undefined, stateDir: string): void {
  const repo = repository
    ? RESTIC_URL.test(repository)
      ? repository
      : resolve(repository)
    : join(stateDir, "repository");
  if (/[\r\n]/.test(repo) || !SECTIONS.local_backup.RESTIC_REPOSITORY.schema.safeParse(repo).success) {
    throw new UsageError(
      `--repository ${JSON.stringify(repo.slice(0, 80))} is not a repository location`,
      "Give a local path or a restic URL such as s3:https://host/bucket.",
    );
  }
  const dir = dirname(file);
  const passwordFile = join(dir, "restic-password");
  const value = (v: string) => (/[;#"]/.test(v) || v !== v.trim() ? JSON.stringify(v) : v);
  const d = SECTIONS.docker.DOCKER_STACKS_DIR;
  const text = [
    `# backup-tui configuration, written by \`backup-tui init\` on ${new Date().toISOString().slice(0, 10)}.`,
    "# Every key, its meaning and its default: `backup-tui config example`.",
    "# Any key can be overridden by the environment: BACKUP_TUI_<SECTION>_<KEY>.",
    "",
    "[docker]",
    `# ${d.description}`,
    `#DOCKER_STACKS_DIR=${d.example}`,
    "",
    "[local_backup]",
    `RESTIC_REPOSITORY=${value(repo)}`,
    "# Losing this password loses every backup: keep a copy of the file somewhere safe.",
    `RESTIC_PASSWORD_FILE=${value(passwordFile)}`,
    "# Retention (these are the defaults; KEEP_* decide what gets deleted):",
    ...(["KEEP_DAILY", "KEEP_WEEKLY", "KEEP_MONTHLY", "KEEP_YEARLY"] as const).map(
      (k) => `#${k}=${SECTIONS.local_backup[k].default}`,
    ),
    "",
    "[cloud_sync]",
    "# Stage 2: mirror the repository with rclone (one remote path per host).",
    "#RCLONE_REMOTE=b2-backup",
    "#RCLONE_PATH=backups/host1/restic",
    "",
    "[schedule]",
    "#BACKUP=0 3 * * *",
    "",
  ].join("\n");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, text, { mode: 0o600, flag: "wx" });
  } catch (err) {
    throw new AppError(
      `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      undefined,
      "Choose another directory with --dir, or run as a user who may write there.",
    );
  }
  chmodSync(file, 0o600);
}

/** The password file the embedded default created (before any config existed) becomes the new config's. */
function adoptEmbeddedPassword(config: Config): { path: string; status: PasswordStatus } | undefined {
  const pw = config.restic.password;
  const embedded = join(config.stateDir, "password");
  if (
    pw.kind !== "file" ||
    existsSync(pw.path) ||
    !existsSync(embedded) ||
    config.restic.repository !== join(config.stateDir, "repository")
  )
    return undefined;
  copyFileSync(embedded, pw.path, constants.COPYFILE_EXCL);
  chmodSync(pw.path, 0o600);
  return { path: pw.path, status: "copied" };
}

/** Creates a missing password file, unless a local repository already exists and needs the lost one. */
function ensurePassword(config: Config): { path?: string; status: PasswordStatus } {
  const pw = config.restic.password;
  if (pw.kind === "none")
    throw new ConfigError(
      "no repository password is configured",
      "Set RESTIC_PASSWORD_FILE in [local_backup] (init then creates the file).",
    );
  if (pw.kind !== "file") return { status: "exists" };
  const repo = config.restic.repository.replace(/^local:/, "");
  const local = !RESTIC_URL.test(repo);
  if (!existsSync(pw.path) && local && existsSync(join(repo, "config"))) {
    throw new AppError(
      `the repository at ${repo} exists, but its password file ${pw.path} does not`,
      undefined,
      "Restore the password file from your safe copy. A new password cannot open an existing repository.",
    );
  }
  return { path: pw.path, status: ensurePasswordFile(pw.path) ? "created" : "exists" };
}

function passwordNotice(pw: PasswordSource, configFile: string | undefined): string[] {
  const where =
    pw.kind === "file"
      ? [`The password is in the file ${pw.path}`]
      : pw.kind === "value" && pw.origin.startsWith("environment")
        ? [`The password comes from the ${pw.origin.replace("environment", "environment variable")}`]
        : pw.kind === "value"
          ? [`The password is written in ${configFile ?? pw.origin} ([local_backup] RESTIC_PASSWORD)`]
          : pw.kind === "command"
            ? ["The password is printed by the command in RESTIC_PASSWORD_COMMAND", `(${pw.origin})`]
            : ["No password source is configured"];
  return [
    "IMPORTANT: losing the repository password loses EVERY backup.",
    "restic encrypts everything with it; nobody can recover the data without it.",
    ...where,
    "Copy it somewhere safe NOW: a password manager or another machine,",
    "not only this host (a dead disk would take both).",
  ];
}

function box(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length));
  const bar = "═".repeat(width + 4);
  return [`╔${bar}╗`, ...lines.map((l) => `║  ${l.padEnd(width)}  ║`), `╚${bar}╝`].join("\n");
}
