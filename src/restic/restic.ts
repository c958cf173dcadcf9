import { btui } from "../command-hint";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { AppError, ConfigError, ExitCode, ToolError } from "../errors";
import type { KeepPolicy, PasswordSource } from "../config/types";
import type { Runner, RunOptions } from "../exec/runner";
import type { Logger } from "../log";
import { isAlive, pidExists } from "../state/process-info";
import { onPath, type VersionCache } from "../state/version-cache";
import { featuresOf, MIN_RESTIC, compareVersions, parseResticVersion, type ResticFeatures } from "./features";
import { parseCopyLine } from "./copy-output";
import { classify, errorText, parseLockHolder } from "./errors";
import type { BackupRequest, BackupResult, CopyRequest, CopyResult, ForgetRequest, RestoreProgress } from "./requests";
import {
  BackupLine,
  ForgetResult,
  jsonLine,
  LockInfo,
  LsNode,
  RepoConfig,
  RestoreStatus,
  SnapshotList,
  Stats,
  type BackupSummary,
  type ForgetGroup,
  type Snapshot,
} from "./json";

export interface ResticSettings {
  binary: string;
  repository: string;
  password: PasswordSource;
  /** restic's cache and our temporary files live here. */
  workDir: string;
  log?: Logger;
  /** Extra environment for restic (tests; tool variables pass through anyway). */
  env?: Record<string, string | undefined>;
  /** REMOTE:PATH of the repository's cloud copy ([cloud_sync]): a missing repository may be there. */
  cloudCopy?: string;
  /** `restic version` remembered per binary (path, size, mtime): one process fewer per run. */
  versions?: VersionCache;
  /**
   * A repository several hosts share ([local_backup] PRUNE_HOST): restic's exclusive lock belongs
   * to the prune host alone, and every command waits up to lockWaitSec for another host's lock.
   */
  shared?: { pruneHost: string; hostname: string; lockWaitSec: number };
}

/** The restic commands that take the repository's exclusive lock (observed with restic 0.19). */
const EXCLUSIVE = new Set(["forget", "prune", "check", "tag", "rewrite", "repair", "migrate"]);
/** Commands that take no lock at all (or are run with --no-lock by this wrapper). */
const LOCKLESS = new Set(["version", "init", "unlock", "cat", "list", "snapshots", "key"]);

export type {
  BackupProgress,
  BackupRequest,
  BackupResult,
  CopyRequest,
  CopyResult,
  ForgetRequest,
  RestoreProgress,
} from "./requests";

type Call = Pick<
  RunOptions,
  "signal" | "timeoutMs" | "onStdoutLine" | "onStderrLine" | "bufferStdout" | "okExitCodes" | "input" | "stdoutFile"
> & {
  launcher?: string[];
  /** The source repository of `copy` / `init --copy-chunker-params` (RESTIC_FROM_* in the environment). */
  from?: Restic;
};

/**
 * The typed restic wrapper: every restic invocation goes through here (and through the runner).
 * Options come first, then `--`, then the positionals (snapshot IDs, paths, types): a value read
 * from a snapshot, a manifest or an inventory that starts with "-" is never taken for an option
 * (`restic dump ID --password-command=...` would run that command).
 */
export class Restic {
  private featuresCache?: Promise<ResticFeatures>;
  private readonly host = osHostname();

  constructor(
    private readonly runner: Runner,
    private readonly s: ResticSettings,
  ) {}

  get repository(): string {
    return this.s.repository;
  }

  features(): Promise<ResticFeatures> {
    const ask = async () => (await this.runner.run(this.s.binary, ["version"], { timeoutMs: 15_000 })).stdout;
    const answer = () =>
      this.s.versions ? this.s.versions.get(`restic ${this.s.binary}`, [onPath(this.s.binary)], ask) : ask();
    this.featuresCache ??= answer().then((stdout) => {
      const version = parseResticVersion(stdout);
      if (compareVersions(version, MIN_RESTIC) < 0) {
        throw new AppError(
          `restic ${version} is too old; backup-tui needs ${MIN_RESTIC} or newer`,
          ExitCode.failed,
          "Install a newer restic (https://restic.net).",
        );
      }
      return featuresOf(version);
    });
    return this.featuresCache;
  }

  /** True when a repository answers at the configured location with the configured password. */
  async exists(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.run(["cat", "--", "config"], { signal, timeoutMs: 120_000 });
      return true;
    } catch (err) {
      if (err instanceof AppError && (err as AppError & { kind?: string }).kind === "no-repository") return false;
      throw err;
    }
  }

  /**
   * Whether a repository is there: "missing" only when restic says it does not exist (exit 10,
   * restic 0.17+, or its message on older ones). A wrong password, an unreadable password source,
   * an unreachable server throw: none of them means "create one".
   */
  async probe(signal?: AbortSignal, timeoutMs = 120_000): Promise<"exists" | "missing"> {
    try {
      await this.run(["cat", "--no-lock", "--", "config"], { signal, timeoutMs });
      return "exists";
    } catch (err) {
      const kind = (err as { kind?: string }).kind;
      const code = ((err as { cause?: unknown }).cause as ToolError | undefined)?.toolExitCode;
      if (kind === "no-repository" && (code === 10 || !(await this.features()).exitCodes)) return "missing";
      throw err;
    }
  }

  /** The repository's chunker polynomial (`restic cat config`): equal ones deduplicate across copies. */
  async chunkerPolynomial(signal?: AbortSignal): Promise<string> {
    const r = await this.run(["cat", "--no-lock", "--", "config"], { signal, timeoutMs: 120_000 });
    return RepoConfig.parse(JSON.parse(r.stdout)).chunker_polynomial;
  }

  /**
   * Creates this repository with `from`'s chunker parameters (so what is copied from it keeps
   * deduplicating). restic itself refuses when a repository is already there.
   */
  async initFrom(from: Restic, signal?: AbortSignal): Promise<void> {
    await this.run(["init", "--copy-chunker-params"], { signal, timeoutMs: 300_000, from });
  }

  /**
   * `restic copy` from `from` into this repository: the given snapshots (every one when none is
   * given; restic skips those already copied). Both passwords travel in the environment.
   */
  async copyFrom(from: Restic, o: CopyRequest): Promise<CopyResult> {
    const copied: CopyResult["copied"] = [];
    await this.run(["copy", "--", ...(o.ids ?? [])], {
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? 24 * 3600_000,
      bufferStdout: false,
      from,
      onStdoutLine: (line) => {
        const l = parseCopyLine(line);
        if (l?.kind === "copied") copied.push({ source: l.source, copy: l.copy });
        if (l) o.onLine?.(l);
      },
    });
    return { copied };
  }

  /** Idempotent: an existing repository is fine. */
  async init(signal?: AbortSignal): Promise<"created" | "exists"> {
    if (await this.exists(signal)) return "exists";
    await this.run(["init"], { signal, timeoutMs: 300_000 });
    return "created";
  }

  async backup(req: BackupRequest): Promise<BackupResult> {
    const tmp = join(this.s.workDir, "tmp");
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    const list = join(tmp, `files-from-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(list, req.paths.join("\n") + "\n", { mode: 0o600 });
    const args = ["backup", "--json", "--host", req.host, "--files-from-verbatim", list];
    for (const t of req.tags) args.push("--tag", t);
    if (req.parent) args.push("--parent", req.parent);
    for (const e of req.excludes ?? []) args.push("--exclude", e);
    if (req.compression) args.push("--compression", req.compression);
    let summary: BackupSummary | undefined;
    const unreadable: BackupResult["unreadable"] = [];
    try {
      const r = await this.run(args, {
        signal: req.signal,
        timeoutMs: req.timeoutMs,
        bufferStdout: false,
        okExitCodes: [0, 3],
        launcher: req.launcher,
        onStdoutLine: (line) => {
          const parsed = BackupLine.safeParse(jsonLine(line));
          if (!parsed.success) return;
          const m = parsed.data;
          if (m.message_type === "summary") summary = m;
          else if (m.message_type === "status" && req.onProgress) {
            req.onProgress({
              percent: m.percent_done ?? 0,
              bytesDone: m.bytes_done ?? 0,
              totalBytes: m.total_bytes ?? 0,
              filesDone: m.files_done ?? 0,
              totalFiles: m.total_files ?? 0,
              secondsRemaining: m.seconds_remaining,
              currentFiles: m.current_files ?? [],
            });
          }
        },
        onStderrLine: (line) => {
          const parsed = BackupLine.safeParse(jsonLine(line));
          if (parsed.success && parsed.data.message_type === "error") {
            const e = parsed.data.error;
            const message = errorText(e);
            unreadable.push({ item: parsed.data.item ?? "", message });
          }
        },
      });
      if (!summary?.snapshot_id) {
        throw new ToolError(
          "restic backup finished without reporting a snapshot",
          r.command,
          r.exitCode,
          r.stderr.slice(-2000),
          "exit",
        );
      }
      return { summary, snapshotId: summary.snapshot_id, partial: r.exitCode === 3, unreadable };
    } finally {
      rmSync(list, { force: true });
    }
  }

  /** A small document as a snapshot of one file (`/NAME`), read from stdin: no file on disk. */
  async backupText(req: {
    filename: string;
    text: string;
    host: string;
    tags: string[];
    signal?: AbortSignal;
    timeoutMs: number;
  }): Promise<string> {
    const args = ["backup", "--json", "--host", req.host, "--stdin", "--stdin-filename", req.filename];
    for (const t of req.tags) args.push("--tag", t);
    let id: string | undefined;
    const r = await this.run(args, {
      signal: req.signal,
      timeoutMs: req.timeoutMs,
      input: req.text,
      bufferStdout: false,
      onStdoutLine: (line) => {
        const parsed = BackupLine.safeParse(jsonLine(line));
        if (parsed.success && parsed.data.message_type === "summary") id = parsed.data.snapshot_id;
      },
    });
    if (!id) throw new ToolError("restic backup --stdin reported no snapshot", r.command, r.exitCode, r.stderr, "exit");
    return id;
  }

  async snapshots(
    o: { tags?: string[]; host?: string; ids?: string[]; signal?: AbortSignal } = {},
  ): Promise<Snapshot[]> {
    // --no-lock: a listing needs no lock (faster, and works on read-only repositories).
    const args = ["snapshots", "--json", "--no-lock"];
    if (o.tags?.length) args.push("--tag", o.tags.join(","));
    if (o.host) args.push("--host", o.host);
    args.push("--", ...(o.ids ?? []));
    const r = await this.run(args, { signal: o.signal, timeoutMs: 600_000 });
    return SnapshotList.parse(JSON.parse(r.stdout.trim() || "[]"));
  }

  async forget(o: ForgetRequest): Promise<ForgetGroup[]> {
    const args = ["forget", "--json", "-q"];
    if (o.tags?.length) args.push("--tag", o.tags.join(","));
    if (o.host) args.push("--host", o.host);
    if (o.groupBy) args.push("--group-by", o.groupBy);
    const k = o.keep ?? {};
    const flags: Array<[keyof KeepPolicy, string]> = [
      ["last", "--keep-last"],
      ["hourly", "--keep-hourly"],
      ["daily", "--keep-daily"],
      ["weekly", "--keep-weekly"],
      ["monthly", "--keep-monthly"],
      ["yearly", "--keep-yearly"],
      ["within", "--keep-within"],
    ];
    for (const [key, flag] of flags) if (k[key] !== undefined) args.push(flag, String(k[key]));
    for (const t of o.keepTags ?? []) args.push("--keep-tag", t);
    if (o.prune) args.push("--prune");
    if (o.dryRun) args.push("--dry-run");
    args.push("--", ...(o.ids ?? []));
    const r = await this.run(args, { signal: o.signal, timeoutMs: 6 * 3600_000 });
    const first = r.stdout.split("\n").find((l) => l.trim().startsWith("["));
    return first ? ForgetResult.parse(JSON.parse(first)) : [];
  }

  async tag(ids: string[], change: { add?: string[]; remove?: string[] }, signal?: AbortSignal): Promise<void> {
    const args = ["tag"];
    for (const t of change.add ?? []) args.push("--add", t);
    for (const t of change.remove ?? []) args.push("--remove", t);
    await this.run([...args, "--", ...ids], { signal, timeoutMs: 600_000 });
  }

  /** restic check; `ok` false when restic found damage (the output says what). */
  async check(
    o: { readDataSubset?: string; readData?: boolean; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<{ ok: boolean; output: string }> {
    const args = ["check"];
    if (o.readData) args.push("--read-data");
    else if (o.readDataSubset) args.push(`--read-data-subset=${o.readDataSubset}`);
    try {
      const r = await this.run(args, { signal: o.signal, timeoutMs: o.timeoutMs ?? 24 * 3600_000 });
      return { ok: true, output: r.stdout + r.stderr };
    } catch (err) {
      if (err instanceof ToolError && err.reason === "exit") return { ok: false, output: err.stderrTail };
      throw err;
    }
  }

  async stats(
    o: { mode?: "restore-size" | "raw-data"; ids?: string[]; signal?: AbortSignal } = {},
  ): Promise<{ totalSize: number; totalFileCount?: number }> {
    const r = await this.run(["stats", "--json", "--mode", o.mode ?? "raw-data", "--", ...(o.ids ?? [])], {
      signal: o.signal,
      timeoutMs: 3600_000,
    });
    const s = Stats.parse(JSON.parse(r.stdout.trim()));
    return { totalSize: s.total_size, totalFileCount: s.total_file_count };
  }

  /** Streams the nodes of a snapshot. */
  async ls(
    snapshot: string,
    onNode: (n: LsNode) => void,
    o: { path?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.run(["ls", "--json", "--", snapshot, ...(o.path ? [o.path] : [])], {
      signal: o.signal,
      timeoutMs: 3600_000,
      bufferStdout: false,
      onStdoutLine: (line) => {
        const n = LsNode.safeParse(jsonLine(line));
        if (n.success && n.data.struct_type !== undefined) onNode(n.data);
      },
    });
  }

  async prune(signal?: AbortSignal): Promise<void> {
    await this.run(["prune"], { signal, timeoutMs: 24 * 3600_000 });
  }

  /** The content of one file in a snapshot. */
  async dump(snapshot: string, path: string, signal?: AbortSignal, o: { noLock?: boolean } = {}): Promise<string> {
    // noLock: a read-only key (a fleet viewer) cannot write the lock file a read takes.
    const r = await this.run(["dump", ...(o.noLock ? ["--no-lock"] : []), "--", snapshot, path], {
      signal,
      timeoutMs: 600_000,
    });
    return r.stdout;
  }

  /** One file of a snapshot written to a local file (binary safe, streamed). */
  async dumpToFile(snapshot: string, path: string, file: string, signal?: AbortSignal): Promise<void> {
    await this.run(["dump", "--", snapshot, path], { signal, timeoutMs: 24 * 3600_000, stdoutFile: file });
  }

  /**
   * Restores a snapshot (or the given paths of it) under target, which mirrors the absolute paths.
   * `verify`: restic re-reads every restored file and checks it against the snapshot's blob hashes.
   */
  async restore(o: {
    snapshot: string;
    target: string;
    include?: string[];
    verify?: boolean;
    signal?: AbortSignal;
    timeoutMs?: number;
    onProgress?: (p: RestoreProgress) => void;
  }): Promise<void> {
    const features = await this.features();
    const args = ["restore", "--target", o.target];
    if (o.verify) args.push("--verify");
    for (const i of o.include ?? []) args.push("--include", i);
    if (features.jsonRestore && o.onProgress) args.push("--json");
    args.push("--", o.snapshot);
    await this.run(args, {
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? 24 * 3600_000,
      bufferStdout: false,
      onStdoutLine: (line) => {
        const p = RestoreStatus.safeParse(jsonLine(line));
        if (p.success && o.onProgress) {
          o.onProgress({
            percent: p.data.percent_done ?? 0,
            bytesDone: p.data.bytes_restored ?? 0,
            totalBytes: p.data.total_bytes ?? 0,
            filesDone: p.data.files_restored ?? 0,
            totalFiles: p.data.total_files ?? 0,
          });
        }
      },
    });
  }

  /**
   * The repository's locks and their holders, read without taking a lock. A lock that cannot be
   * read is tried once more (it may be being written), then listed as unreadable; one removed
   * meanwhile is left out.
   */
  async locks(signal?: AbortSignal): Promise<{ locks: Array<LockInfo & { id: string }>; unreadable: string[] }> {
    const { stdout } = await this.run(["list", "locks", "--no-lock"], { signal, timeoutMs: 120_000 });
    const ids = stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /^[0-9a-f]{64}$/.test(l));
    const read = async (id: string) => {
      const r = await this.run(["cat", "--no-lock", "--", "lock", id], { signal, timeoutMs: 60_000 }).catch(
        () => undefined,
      );
      const lock = r && LockInfo.safeParse(jsonLine(r.stdout.replace(/\s*\n\s*/g, " ")));
      return lock?.success ? lock.data : undefined;
    };
    const out: { locks: Array<LockInfo & { id: string }>; unreadable: string[] } = { locks: [], unreadable: [] };
    for (const id of ids) {
      const lock = (await read(id)) ?? (await new Promise((r) => setTimeout(r, 500)).then(() => read(id)));
      if (lock) out.locks.push({ id, ...lock });
      else if ((await this.run(["list", "locks", "--no-lock"], { signal, timeoutMs: 120_000 })).stdout.includes(id))
        out.unreadable.push(id);
    }
    return out;
  }

  async unlock(o: { removeAll?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    await this.run(["unlock", ...(o.removeAll ? ["--remove-all"] : [])], { signal: o.signal, timeoutMs: 300_000 });
  }

  /** Runs restic with the repository and password in its environment (never argv); retries once after clearing a stale local lock. */
  private async run(
    args: string[],
    call: Call,
  ): Promise<{ stdout: string; stderr: string; exitCode: number; command: string }> {
    const argv = this.s.shared ? await this.sharedArgs(args, this.s.shared) : args;
    try {
      return await this.runOnce(argv, call);
    } catch (err) {
      const lock = err instanceof ToolError ? parseLockHolder(err.stderrTail) : undefined;
      if (!lock || lock.host !== this.host || isAlive(lock.pid) || args[0] === "unlock")
        throw classify(err, this.s.repository, { op: args[0], password: this.s.password, cloudCopy: this.s.cloudCopy });
      this.s.log?.warn({ pid: lock.pid }, "removing a stale restic lock left by a dead process");
      // restic counts a zombie (a killed restic init has not reaped yet) as its holder still running.
      await waitGone(lock.pid, 30_000);
      try {
        await this.runOnce(["unlock"], { timeoutMs: 300_000 });
        return await this.runOnce(argv, call);
      } catch (again) {
        throw classify(again, this.s.repository, {
          op: args[0],
          password: this.s.password,
          cloudCopy: this.s.cloudCopy,
        });
      }
    }
  }

  /**
   * On a shared repository: the exclusive lock is the prune host's alone (a command that takes it
   * is refused on every other host, whoever asks: CLI, TUI, daemon, a schedule), and a command
   * that locks waits for another host's lock (`--retry-lock`, restic 0.16+) instead of failing.
   */
  private async sharedArgs(args: string[], shared: NonNullable<ResticSettings["shared"]>): Promise<string[]> {
    const [op, ...rest] = args;
    const removeAll = op === "unlock" && rest.includes("--remove-all");
    if ((EXCLUSIVE.has(op) || removeAll) && shared.pruneHost !== shared.hostname)
      throw new AppError(
        `this repository is shared, and \`restic ${op}${removeAll ? " --remove-all" : ""}\` takes its exclusive lock: only PRUNE_HOST ${shared.pruneHost} does that, not ${shared.hostname}`,
        ExitCode.usage,
        `Run it on ${shared.pruneHost}. Its retention applies this host's keep policy (published with this host's status) to this host's snapshots alone.`,
      );
    if (LOCKLESS.has(op) || rest.includes("--no-lock") || !shared.lockWaitSec) return args;
    if (!(await this.features()).retryLock) return args;
    return [op, "--retry-lock", `${shared.lockWaitSec}s`, ...rest];
  }

  private async runOnce(args: string[], { launcher, from, ...call }: Call) {
    const { env, secrets } = this.environment(args[0]);
    if (from) {
      const source = from.sourceEnvironment();
      Object.assign(env, source.env);
      secrets.push(...source.secrets);
    }
    // restic with an rclone: repository starts rclone itself: it needs rclone's variables too.
    const child = this.s.repository.startsWith("rclone:") ? "restic-rclone" : "restic";
    if (launcher?.length)
      return this.runner.run(launcher[0], [...launcher.slice(1), this.s.binary, ...args], {
        ...call,
        env,
        secrets,
        child,
      });
    return this.runner.run(this.s.binary, args, { ...call, env, secrets, child });
  }

  private environment(op: string | undefined): { env: Record<string, string | undefined>; secrets: string[] } {
    const env: Record<string, string | undefined> = {
      // Inherited password variables never reach restic: the configured source wins.
      RESTIC_PASSWORD: undefined,
      RESTIC_PASSWORD_FILE: undefined,
      RESTIC_PASSWORD_COMMAND: undefined,
      RESTIC_REPOSITORY_FILE: undefined,
      RESTIC_REPOSITORY: this.s.repository,
      // Nor inherited source variables: only copyFrom / initFrom name a source (sourceEnvironment).
      RESTIC_FROM_REPOSITORY: undefined,
      RESTIC_FROM_REPOSITORY_FILE: undefined,
      RESTIC_FROM_PASSWORD: undefined,
      RESTIC_FROM_PASSWORD_FILE: undefined,
      RESTIC_FROM_PASSWORD_COMMAND: undefined,
      RESTIC_FROM_KEY_HINT: undefined,
      RESTIC_CACHE_DIR: process.env.RESTIC_CACHE_DIR ?? join(this.s.workDir, "restic-cache"),
      RESTIC_PROGRESS_FPS: "2",
      ...this.s.env,
    };
    const secrets: string[] = [];
    const p = this.s.password;
    if (p.kind === "value") {
      env.RESTIC_PASSWORD = p.value.reveal();
      secrets.push(p.value.reveal());
    } else if (p.kind === "file") env.RESTIC_PASSWORD_FILE = p.path;
    else if (p.kind === "command") env.RESTIC_PASSWORD_COMMAND = p.command;
    // A new password only fits a new repository: an existing one opens with its own.
    else
      throw new ConfigError(
        "no repository password is configured",
        (op === "init" || op === "backup") && !this.s.cloudCopy
          ? `Set RESTIC_PASSWORD_FILE in [local_backup], or run \`${btui("init")}\` to create one.`
          : "Set RESTIC_PASSWORD_FILE (or RESTIC_PASSWORD_COMMAND) in [local_backup] to the repository's password (your safe copy of it).",
      );
    return { env, secrets };
  }

  /** This repository as the source of another one's copy or init: RESTIC_FROM_* variables. */
  private sourceEnvironment(): { env: Record<string, string | undefined>; secrets: string[] } {
    const own = this.environment("copy");
    const env: Record<string, string | undefined> = { RESTIC_FROM_REPOSITORY: this.s.repository };
    for (const key of ["RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"])
      if (own.env[key] !== undefined) env[key.replace("RESTIC_", "RESTIC_FROM_")] = own.env[key];
    return { env, secrets: own.secrets };
  }
}

/** Waits (up to ms) until a dead process is gone from the process table. */
async function waitGone(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pidExists(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}
