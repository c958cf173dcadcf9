import { btui } from "../../command-hint";
import { dirname, join } from "node:path";
import type { Config } from "../../config/types";
import type { DockerApi } from "../../docker/client";
import type { ComposeCli } from "../../docker/compose";
import { AppError, errorMessage } from "../../errors";
import type { Runner } from "../../exec/runner";
import { cloudCopyOf, newRepositoryHint } from "../../restic/errors";
import type { Restic } from "../../restic/restic";
import type { ResticFeatures } from "../../restic/features";
import { scheduleFindings, stackSectionFindings } from "./config-check";
import { diagnoseEngine, type EngineFacts } from "../../docker/engine-facts";
import { engineWords } from "../../docker/engine-words";
import { stateDirOwnerProblem } from "../../state/state-dir";
import { failed, type Check, type CheckStatus } from "./check";
import { checkSnapshotStrategy, type SnapshotCheckDeps } from "./snapshot-strategy";
import type { ProbeDeps } from "../sync/probe";
import { checkCopies } from "./copies-check";
import { checkFleet, type FleetCheckDeps } from "./fleet-check";

export type { Check, CheckStatus } from "./check";

/** The few file-system facts the doctor reads (the command passes the real ones; tests a fake). */
export interface FsProbe {
  /** undefined when the path does not exist. */
  stat(path: string): { mode: number; dev: number; isDirectory: boolean; uid?: number } | undefined;
  statfs(path: string): { totalBytes: number; freeBytes: number };
}

/** The configuration as the doctor sees it: loaded, or the error that stopped it (the other checks still run). */
export type ConfigOutcome = { ok: true; config: Config } | { ok: false; error: unknown; stateDir: string };

export interface DoctorDeps {
  runner: Runner;
  docker: Pick<DockerApi, "version">;
  compose: Pick<ComposeCli, "detect" | "version">;
  restic: Pick<Restic, "features" | "exists">;
  config: ConfigOutcome;
  fs: FsProbe;
  /** Where Docker is reached, for the report (DOCKER_HOST or the default socket). */
  dockerHost: string;
  signal?: AbortSignal;
  /** Docker must answer within this long (a dead TCP DOCKER_HOST would otherwise hang). */
  dockerTimeoutMs?: number;
  /** What is on the host when Docker does not answer: says why, in the scripts' words (src/docker/engine-words.ts). */
  engineFacts?: () => EngineFacts;
  /** The snapshot strategy check: the discovered stacks and the filesystem snapshot providers. */
  snapshot?: SnapshotCheckDeps;
  /** The immutability probe of every sync target (undefined: doctor --no-probe). */
  probe?: ProbeDeps;
  /** The published statuses of a shared repository (read when [local_backup] PRUNE_HOST is set). */
  fleet?: FleetCheckDeps;
}

export const SPACE_WARN_PERCENT = 10;
export const SPACE_FAIL_PERCENT = 2;

/** Runs every check. File-system checks run first, before restic touches the state directory (its cache lives there). */
export async function runDoctor(d: DoctorDeps): Promise<Check[]> {
  const stateDir = d.config.ok ? d.config.config.stateDir : d.config.stateDir;
  const local = [
    checkConfig(d.config),
    checkPermissions(d.config, d.fs),
    ...checkSpace(d.config, d.fs),
    checkStateDir(stateDir, d.fs),
  ];
  const [docker, compose, restic, rclone, repository] = await Promise.all([
    checkDocker(d),
    checkCompose(d),
    checkRestic(d.restic),
    checkRclone(d.runner, d.config),
    checkRepository(d.restic, d.config, d.fs, d.signal),
  ]);
  const [config, permissions, ...rest] = local;
  const snapshot =
    d.snapshot && d.config.ok && docker.status === "ok"
      ? [await checkSnapshotStrategy(d.config.config, d.snapshot, d.runner)]
      : [];
  const found =
    d.snapshot && d.config.ok && docker.status === "ok" ? await d.snapshot.stacks().catch(() => undefined) : undefined;
  const rules = d.config.ok
    ? [
        checkConfigRules(
          d.config.config,
          found?.flatMap((s) => [s.name, s.project]),
        ),
      ]
    : [];
  const copies = d.probe && d.config.ok ? await checkCopies(d.config.config, d.probe) : [];
  const fleet =
    d.fleet && d.config.ok && d.config.config.fleet.pruneHost && repository.status !== "fail"
      ? [await checkFleet(d.config.config, d.fleet)]
      : [];
  return [
    docker,
    compose,
    restic,
    rclone,
    config,
    permissions,
    ...rules,
    repository,
    ...fleet,
    ...rest,
    ...snapshot,
    ...copies,
  ];
}

/** Schedules that cannot succeed, [stack:NAME] sections that name no stack (when the stacks could be listed). */
export function checkConfigRules(config: Config, stacks: string[] | undefined): Check {
  const findings = [...scheduleFindings(config), ...stackSectionFindings(config, stacks)];
  const errors = findings.filter((f) => f.level === "error");
  const detail = findings.length
    ? findings.map((f) => f.message).join("\n")
    : stacks
      ? "every schedule can run; every [stack:NAME] names a stack"
      : "every schedule can run";
  return {
    name: "schedules",
    status: errors.length ? "fail" : findings.length ? "warn" : "ok",
    detail,
    hint: findings.length
      ? `Fix the keys named above in the config file; \`${btui("config validate")}\` checks again.`
      : undefined,
    data: { findings },
  };
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new AppError(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });

export async function checkDocker(
  d: Pick<DoctorDeps, "docker" | "dockerHost" | "dockerTimeoutMs" | "engineFacts">,
): Promise<Check> {
  try {
    const v = await withTimeout(
      d.docker.version(),
      d.dockerTimeoutMs ?? 10_000,
      `the Docker engine at ${d.dockerHost}`,
    );
    const ok = engineWords({ kind: "ok", version: v.version, apiVersion: v.apiVersion, host: d.dockerHost });
    return { name: "docker", status: "ok", detail: ok.detail, data: { ...v, host: d.dockerHost } };
  } catch (err) {
    if (d.engineFacts) {
      const situation = diagnoseEngine(d.engineFacts());
      const w = engineWords(situation);
      return {
        name: "docker",
        status: "fail",
        detail: w.detail,
        hint: w.hint,
        data: { situation, error: errorMessage(err) },
      };
    }
    const f = failed("docker", err, "Is dockerd running? Set DOCKER_HOST for a remote or rootless engine.");
    return f.detail.includes(d.dockerHost) ? f : { ...f, detail: `${f.detail} (engine at ${d.dockerHost})` };
  }
}

/** Compose is needed by the `down` strategy (and to bring stacks back on restore); without it only `down` is lost. */
export async function checkCompose(d: Pick<DoctorDeps, "compose" | "config">): Promise<Check> {
  const c = d.config.ok ? d.config.config : undefined;
  const usesDown = !!c && (c.docker.strategy === "down" || Object.values(c.stacks).some((s) => s.strategy === "down"));
  const missing = usesDown ? "fail" : "warn";
  try {
    const cmd = await d.compose.detect();
    const version = await d.compose.version();
    const label = cmd.join(" ");
    if (version === "unknown") {
      return {
        name: "compose",
        status: missing,
        detail: `\`${label}\` did not answer \`version\``,
        hint: "Install the Compose plugin, or fix COMPOSE_COMMAND in [docker].",
      };
    }
    const kind = cmd[0] === "docker" && cmd[1] === "compose" ? "v2 plugin" : "v1";
    return {
      name: "compose",
      status: "ok",
      detail: `${label} ${version} (${kind})`,
      data: { command: label, version, kind },
    };
  } catch (err) {
    const why = usesDown
      ? "the down strategy needs it"
      : "needed only by the down strategy and to recreate stacks on restore";
    const f = failed("compose", err, "Install the Compose plugin (docker compose).");
    return { ...f, status: missing, detail: `${f.detail}; ${why}` };
  }
}

const FEATURE_LABELS: Array<[keyof Omit<ResticFeatures, "version">, string]> = [
  ["jsonRestore", "JSON restore progress"],
  ["retryLock", "--retry-lock"],
  ["restoreDelete", "restore --delete/--overwrite/--dry-run"],
  ["stdinFromCommand", "--stdin-from-command"],
  ["repair", "repair/rewrite"],
  ["exitCodes", "exit codes 10/11/12"],
  ["snapshotSummary", "snapshot summaries"],
];

export async function checkRestic(restic: Pick<Restic, "features">): Promise<Check> {
  try {
    const f = await restic.features();
    const has = FEATURE_LABELS.filter(([k]) => f[k]).map(([, l]) => l);
    const lacks = FEATURE_LABELS.filter(([k]) => !f[k]).map(([, l]) => l);
    const parts = [`restic ${f.version}`];
    if (has.length) parts.push(`has ${has.join(", ")}`);
    if (lacks.length) parts.push(`lacks ${lacks.join(", ")} (fallbacks used)`);
    return { name: "restic", status: "ok", detail: parts.join("; "), data: { ...f } };
  } catch (err) {
    return failed(
      "restic",
      err,
      "Install restic 0.14 or newer (https://restic.net), or set RESTIC_BINARY in [local_backup].",
    );
  }
}

/** rclone is needed only for Stage 2: missing is a failure only when a remote is configured. */
export async function checkRclone(runner: Runner, outcome: ConfigOutcome): Promise<Check> {
  const cloud = outcome.ok ? outcome.config.cloud : undefined;
  const binary = cloud?.binary ?? "rclone";
  try {
    const r = await runner.run(binary, ["version"], { timeoutMs: 15_000 });
    const version = /rclone\s+v?(\S+)/.exec(r.stdout)?.[1] ?? "unknown";
    const target = cloud?.remote
      ? `; syncs to ${cloud.remote}:${cloud.path ?? ""}`
      : "; no [cloud_sync] remote configured";
    return {
      name: "rclone",
      status: "ok",
      detail: `rclone ${version}${target}`,
      data: { version, remote: cloud?.remote },
    };
  } catch (err) {
    const hint = "Install rclone (https://rclone.org), or set RCLONE_BINARY in [cloud_sync].";
    const f = failed("rclone", err, hint);
    if (cloud?.remote)
      return { ...f, detail: `${f.detail}; [cloud_sync] RCLONE_REMOTE is ${cloud.remote}, so sync cannot run` };
    return { ...f, status: "warn", detail: `${f.detail}; needed only for cloud sync (none configured)` };
  }
}

export function checkConfig(outcome: ConfigOutcome): Check {
  if (!outcome.ok)
    return failed(
      "config",
      outcome.error,
      `Fix the value named above; \`${btui("config example")}\` prints every key with its description.`,
    );
  const c = outcome.config;
  const where = c.source.file
    ? `${c.source.file} (${c.source.format})`
    : `no config file: embedded default (repository ${c.restic.repository})`;
  const data = { file: c.source.file, format: c.source.format, warnings: c.warnings };
  if (c.warnings.length) {
    return {
      name: "config",
      status: "warn",
      detail: `${where}; ${c.warnings.length} warning(s): ${c.warnings.join("; ")}`,
      hint: `Fix or remove the keys named; \`${btui("config validate")}\` checks again.`,
      data,
    };
  }
  const hint = c.source.file ? undefined : `Run \`${btui("init")}\` to write a config file you can edit.`;
  return { name: "config", status: "ok", detail: where, hint, data };
}

/** The config file and the password file must not be readable by other users. */
export function checkPermissions(outcome: ConfigOutcome, fs: FsProbe): Check {
  if (!outcome.ok)
    return { name: "permissions", status: "warn", detail: "not checked: the configuration did not load" };
  const c = outcome.config;
  const files: Array<[string, string]> = [];
  if (c.source.file) files.push(["config", c.source.file]);
  if (c.restic.password.kind === "file") files.push(["password file", c.restic.password.path]);
  const seen: string[] = [];
  const loose: string[] = [];
  for (const [what, path] of files) {
    const s = fs.stat(path);
    if (!s) continue; // a missing password file is the repository check's business
    const mode = (s.mode & 0o777).toString(8).padStart(4, "0");
    seen.push(`${what} ${path} ${mode}`);
    if (s.mode & 0o077) loose.push(path);
  }
  if (loose.length) {
    return {
      name: "permissions",
      status: "warn",
      detail: `readable by other users: ${seen.join(", ")}`,
      hint: `Run: chmod 600 ${loose.join(" ")}`,
    };
  }
  return {
    name: "permissions",
    status: "ok",
    detail: seen.length ? seen.join(", ") : "no config or password file yet",
  };
}

const isLocalRepository = (repo: string) => !/^[a-z0-9]+:/i.test(repo) || repo.startsWith("local:");
const localPath = (repo: string) => repo.replace(/^local:/, "");

/** Repository reachable, and the password right. The embedded default creates its repository on first backup. */
export async function checkRepository(
  restic: Pick<Restic, "exists">,
  outcome: ConfigOutcome,
  fs: FsProbe,
  signal?: AbortSignal,
): Promise<Check> {
  if (!outcome.ok) return { name: "repository", status: "warn", detail: "not checked: the configuration did not load" };
  const c = outcome.config;
  const repo = c.restic.repository;
  const pw = c.restic.password;
  const data = { repository: repo, password: pw.kind === "none" ? "none" : `${pw.kind} (${pw.origin})` };
  const local = isLocalRepository(repo);
  // In a disaster the repository is data to bring back from the cloud copy, not one to create.
  const cloud = cloudCopyOf(c);
  if (pw.kind === "none") {
    return {
      name: "repository",
      status: "fail",
      detail: `no repository password is configured for ${repo}`,
      hint: cloud
        ? `Set RESTIC_PASSWORD_FILE in [local_backup] to your safe copy of the repository's password (the cloud copy ${cloud} opens with it only); for a new setup \`${btui("init")}\` creates one.`
        : `Set RESTIC_PASSWORD_FILE in [local_backup], or run \`${btui("init")}\`.`,
      data,
    };
  }
  if (pw.kind === "file" && !fs.stat(pw.path)) {
    const repoExists = local && !!fs.stat(join(localPath(repo), "config"));
    if (c.restic.autoInit && !repoExists) {
      const hint = cloud
        ? `If this host's backups are in the cloud copy ${cloud}, put your safe copy of the password file at ${pw.path} and bring the repository back with \`${btui(`restore ${repo}`)}\`. Only for a new setup run \`${btui("init")}\` to create both.`
        : `Run \`${btui("init")}\` to create both now and see where the password is kept.`;
      return {
        name: "repository",
        status: "warn",
        detail: `no repository yet at ${repo}; it will be created on first backup, with a new password file at ${pw.path}`,
        hint,
        data,
      };
    }
    return {
      name: "repository",
      status: "fail",
      detail: `the password file ${pw.path} does not exist${repoExists ? `, but the repository at ${repo} does` : ""}`,
      hint: repoExists
        ? "Restore the password file from your safe copy: without it the repository cannot be opened."
        : `Restore it from your safe copy; for a new repository \`${btui("init")}\` creates one.`,
      data,
    };
  }
  try {
    if (await restic.exists(signal))
      return {
        name: "repository",
        status: "ok",
        detail: `${repo} opens with the password (${pw.kind} from ${pw.origin})`,
        data,
      };
    if (c.restic.autoInit)
      return {
        name: "repository",
        status: "warn",
        detail: `no repository yet at ${repo}; it will be created on first backup`,
        hint: cloud ? newRepositoryHint(repo, cloud) : `Run \`${btui("init")}\` to create it now.`,
        data,
      };
    return {
      name: "repository",
      status: "fail",
      detail: `no restic repository at ${repo}`,
      hint: newRepositoryHint(repo, cloud),
      data,
    };
  } catch (err) {
    return { ...failed("repository", err, "Check RESTIC_REPOSITORY and the password source in [local_backup]."), data };
  }
}

/** Free space where a local repository and the state directory live (one check when they share a file system). */
export function checkSpace(outcome: ConfigOutcome, fs: FsProbe): Check[] {
  const stateDir = outcome.ok ? outcome.config.stateDir : outcome.stateDir;
  const repo = outcome.ok ? outcome.config.restic.repository : undefined;
  const places: Array<{ what: string; path: string }> = [];
  if (repo && isLocalRepository(repo)) places.push({ what: "repository", path: localPath(repo) });
  places.push({ what: "state dir", path: stateDir });
  const byDevice = new Map<number, { whats: string[]; paths: string[]; probe: string }>();
  const out: Check[] = [];
  for (const p of places) {
    const probe = existingAncestor(p.path, fs);
    const dev = fs.stat(probe)?.dev ?? -1;
    const group = byDevice.get(dev);
    if (group) {
      group.whats.push(p.what);
      group.paths.push(p.path);
    } else byDevice.set(dev, { whats: [p.what], paths: [p.path], probe });
  }
  for (const g of byDevice.values()) {
    const name = `space: ${g.whats.join(", ")}`;
    try {
      const { totalBytes, freeBytes } = fs.statfs(g.probe);
      const percent = totalBytes ? (freeBytes / totalBytes) * 100 : 0;
      const status: CheckStatus = percent < SPACE_FAIL_PERCENT ? "fail" : percent < SPACE_WARN_PERCENT ? "warn" : "ok";
      const detail = `${gib(freeBytes)} free of ${gib(totalBytes)} (${percent.toFixed(1)}%) on the file system of ${g.paths.join(" and ")}`;
      const hint =
        status === "ok"
          ? undefined
          : `Free space there, apply retention (\`${btui("forget --prune")}\`), or move the repository.`;
      out.push({
        name,
        status,
        detail,
        hint,
        data: { paths: g.paths, totalBytes, freeBytes, percentFree: Number(percent.toFixed(2)) },
      });
    } catch (err) {
      out.push({ name, status: "warn", detail: `cannot measure free space at ${g.probe}: ${errorMessage(err)}` });
    }
  }
  return out;
}

export function checkStateDir(stateDir: string, fs: FsProbe): Check {
  const s = fs.stat(stateDir);
  if (!s)
    return {
      name: "state dir",
      status: "warn",
      detail: `${stateDir} does not exist yet; the first run creates it (0700)`,
    };
  if (!s.isDirectory)
    return {
      name: "state dir",
      status: "fail",
      detail: `${stateDir} is not a directory`,
      hint: "Move that file away, or set BACKUP_TUI_STATE_DIR.",
    };
  const uid = process.getuid?.();
  const owner = s.uid !== undefined && uid !== undefined ? stateDirOwnerProblem(stateDir, s.uid, uid) : undefined;
  if (owner) return { name: "state dir", status: "fail", detail: owner.message, hint: owner.hint };
  const mode = (s.mode & 0o777).toString(8).padStart(4, "0");
  if ((s.mode & 0o777) !== 0o700) {
    return {
      name: "state dir",
      status: "warn",
      detail: `${stateDir} has mode ${mode}; it holds the run history and logs and should be 0700`,
      hint: `Run: chmod 700 ${stateDir}`,
    };
  }
  return { name: "state dir", status: "ok", detail: `${stateDir} (${mode})` };
}

function existingAncestor(path: string, fs: FsProbe): string {
  let p = path;
  while (!fs.stat(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}
