import { btui } from "../command-hint";
import { AppError, ExitCode, ToolError } from "../errors";
import type { Runner, RunOptions } from "../exec/runner";
import type { Logger } from "../log";
import { jsonLine } from "../restic/json";
import { LogLine, type TransferStats } from "./json";

export interface RcloneSettings {
  binary: string;
  /** rclone's config file; undefined lets rclone use its own default (and RCLONE_CONFIG_* variables). */
  configFile?: string;
  log?: Logger;
}

export interface TransferProgress {
  bytes: number;
  totalBytes: number;
  transfers: number;
  totalTransfers: number;
  speed: number;
  eta?: number;
  errors: number;
  /** Seconds since rclone started (its own count). */
  elapsedSec?: number;
  /** How long nothing has moved (no bytes, listing, check, transfer or delete): a stall is this, not a speed of 0. */
  idleMs?: number;
  /** rclone's final stats, after it exited 0: the transfer is complete. */
  final?: boolean;
}

/** rclone's stats as a progress report; the final one gives the average speed (rclone's own reads 0 once done). */
function progressOf(st: TransferStats, idleMs: number, final?: boolean): TransferProgress {
  const elapsedSec = st.elapsedTime;
  const average = final && elapsedSec ? st.bytes / elapsedSec : 0;
  return {
    bytes: st.bytes,
    totalBytes: st.totalBytes ?? 0,
    transfers: st.transfers ?? 0,
    totalTransfers: st.totalTransfers ?? 0,
    speed: final ? average : (st.speed ?? 0),
    eta: final ? undefined : (st.eta ?? undefined),
    errors: st.errors ?? 0,
    elapsedSec,
    idleMs,
    ...(final ? { final } : {}),
  };
}

export interface TransferOptions {
  transfers?: number;
  bwlimit?: string;
  /** Files deleted or overwritten on the destination are moved here instead (rclone --backup-dir). */
  backupDir?: string;
  /**
   * rclone --immutable --size-only: a file that exists on both sides is never rewritten (one of
   * another size is an error, and then nothing is deleted). restic never rewrites a file, so a
   * difference means one side is damaged: a flipped byte in a local pack must not replace the
   * cloud's good one. The check after the sync (hashes) then names what differs.
   */
  immutable?: boolean;
  dryRun?: boolean;
  timeoutMs?: number;
  /**
   * Stop rclone when nothing moves (no bytes, listing, check, transfer or delete) for this long:
   * with a server that is gone, rclone's own retries go on for many minutes per file.
   */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: TransferProgress) => void;
}

export interface TransferResult {
  stats?: TransferStats;
  copied: number;
  deleted: number;
}

/** The typed rclone wrapper: every rclone invocation goes through here and the runner. Options, then `--`, then the paths: a path starting with "-" stays a path. */
export class Rclone {
  constructor(
    private readonly runner: Runner,
    private readonly s: RcloneSettings,
  ) {}

  async version(): Promise<string> {
    const r = await this.run(["version"], { timeoutMs: 15_000 });
    return /rclone v?(\S+)/.exec(r.stdout)?.[1] ?? "unknown";
  }

  /** Makes src identical to dst: the stage-2 mirror. */
  sync(src: string, dst: string, o: TransferOptions = {}): Promise<TransferResult> {
    return this.transfer("sync", src, dst, o);
  }

  /** Copies what dst lacks (rerunning converges): the stage-3 pull. */
  copy(src: string, dst: string, o: TransferOptions = {}): Promise<TransferResult> {
    return this.transfer("copy", src, dst, o);
  }

  /**
   * Compares sizes and hashes (where both sides have them); differences are listed. `oneWay`: only
   * that every file of src is on dst, equal (an append-only copy holds more).
   */
  async check(
    src: string,
    dst: string,
    o: { signal?: AbortSignal; timeoutMs?: number; oneWay?: boolean } = {},
  ): Promise<{ ok: boolean; differences: string[] }> {
    const differences: string[] = [];
    try {
      await this.run(["check", "--use-json-log", `--one-way=${!!o.oneWay}`, "--", src, dst], {
        signal: o.signal,
        timeoutMs: o.timeoutMs ?? 3600_000,
        onStderrLine: (line) => {
          const l = LogLine.safeParse(jsonLine(line));
          if (l.success && l.data.level === "error" && l.data.object)
            differences.push(`${l.data.object}: ${l.data.msg ?? ""}`.trim());
        },
      });
      return { ok: true, differences };
    } catch (err) {
      if (err instanceof ToolError && err.reason === "exit" && differences.length) return { ok: false, differences };
      throw err;
    }
  }

  /** Entries of a remote directory (names; directories end in /). Missing directory: []. */
  async lsf(path: string, o: { dirsOnly?: boolean; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string[]> {
    try {
      const r = await this.run(["lsf", ...(o.dirsOnly ? ["--dirs-only"] : []), "--", path], {
        signal: o.signal,
        timeoutMs: o.timeoutMs ?? 300_000,
      });
      return r.stdout.split("\n").filter(Boolean);
    } catch (err) {
      if (err instanceof ToolError && /directory not found|not found|doesn't exist|no such file/i.test(err.stderrTail))
        return [];
      throw err;
    }
  }

  /** A small file's content (decoded as UTF-8: compare it with a file decoded the same way), or undefined when missing. */
  async cat(path: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string | undefined> {
    try {
      const r = await this.run(["cat", "--", path], { signal: o.signal, timeoutMs: o.timeoutMs ?? 120_000 });
      // Bucket remotes (S3, B2, GCS...) take a missing object for an empty directory: cat prints
      // nothing and succeeds. Empty output counts only when the path is a file.
      if (r.stdout === "" && !(await this.isFile(path, o))) return undefined;
      return r.stdout;
    } catch (err) {
      if (err instanceof ToolError && /not found|doesn't exist|no such file|is a directory/i.test(err.stderrTail))
        return undefined;
      throw err;
    }
  }

  /** True when path is a file (object) on the remote; false when missing or a directory (prefix). */
  async isFile(path: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const r = await this.run(["lsjson", "--stat", "--", path], {
        signal: o.signal,
        timeoutMs: o.timeoutMs ?? 120_000,
      });
      return (JSON.parse(r.stdout || "{}") as { IsDir?: boolean }).IsDir === false;
    } catch (err) {
      if (err instanceof ToolError && /not found|doesn't exist|no such file/i.test(err.stderrTail)) return false;
      throw err;
    }
  }

  /** Objects under path and their total size (a missing path: zero). */
  async size(
    path: string,
    o: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<{ count: number; bytes: number }> {
    try {
      const r = await this.run(["size", "--json", "--", path], { signal: o.signal, timeoutMs: o.timeoutMs ?? 600_000 });
      const j = JSON.parse(r.stdout || "{}") as { count?: number; bytes?: number };
      return { count: j.count ?? 0, bytes: j.bytes ?? 0 };
    } catch (err) {
      if (err instanceof ToolError && /directory not found|not found|doesn't exist|no such file/i.test(err.stderrTail))
        return { count: 0, bytes: 0 };
      throw err;
    }
  }

  /** Writes content to one remote file (rclone rcat): the probe's canary, never a repository file. */
  async rcat(path: string, content: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    await this.run(["rcat", "--", path], { input: content, signal: o.signal, timeoutMs: o.timeoutMs ?? 120_000 });
  }

  /** Deletes one remote file (rclone deletefile). */
  async deleteFile(path: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    await this.run(["deletefile", "--", path], { signal: o.signal, timeoutMs: o.timeoutMs ?? 120_000 });
  }

  /**
   * Names under dir with the old versions a versioned bucket keeps (S3 `--s3-versions`: an old
   * version is listed as NAME-vTIMESTAMP); other backends list their files as lsf does.
   */
  async lsfVersions(dir: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string[]> {
    const r = await this.run(["lsf", "--s3-versions", "--", dir], {
      signal: o.signal,
      timeoutMs: o.timeoutMs ?? 120_000,
    });
    return r.stdout.split("\n").filter(Boolean);
  }

  /** S3: removes the old (hidden) versions under dir (`rclone backend cleanup-hidden`); refused under Object Lock. */
  async cleanupHidden(dir: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    await this.run(["backend", "cleanup-hidden", "--", dir], { signal: o.signal, timeoutMs: o.timeoutMs ?? 120_000 });
  }

  async purge(path: string, o: { signal?: AbortSignal } = {}): Promise<void> {
    await this.run(["purge", "--", path], { signal: o.signal, timeoutMs: 3600_000 });
  }

  private async transfer(verb: "sync" | "copy", src: string, dst: string, o: TransferOptions): Promise<TransferResult> {
    const args = [
      verb,
      "--use-json-log",
      "--stats",
      "1s",
      "--stats-log-level",
      "NOTICE",
      "-v",
      "--create-empty-src-dirs",
      "--retries",
      "1",
      "--low-level-retries",
      "10",
    ];
    if (o.transfers) args.push("--transfers", String(o.transfers));
    if (o.bwlimit) args.push("--bwlimit", o.bwlimit);
    if (o.backupDir) args.push("--backup-dir", o.backupDir);
    // Size, not time: a copied repository's new mtimes are no difference; a different size is an error.
    if (o.immutable) args.push("--immutable", "--size-only");
    if (o.dryRun) args.push("--dry-run");
    args.push("--", src, dst);
    const result: TransferResult = { copied: 0, deleted: 0 };
    let lastError = "";
    // The stall watchdog: any change in what rclone reports is progress; elapsed time is not.
    const watchdog = o.stallTimeoutMs ? new AbortController() : undefined;
    let lastActivity = Date.now();
    let lastSignature = "";
    const timer = watchdog
      ? setInterval(
          () => {
            if (Date.now() - lastActivity >= o.stallTimeoutMs!) watchdog.abort();
          },
          Math.min(1000, Math.max(50, o.stallTimeoutMs! / 4)),
        )
      : undefined;
    const signal = watchdog ? AbortSignal.any(o.signal ? [o.signal, watchdog.signal] : [watchdog.signal]) : o.signal;
    try {
      await this.run(args, {
        signal,
        timeoutMs: o.timeoutMs,
        onStderrLine: (line) => {
          const l = LogLine.safeParse(jsonLine(line));
          if (!l.success) return;
          const m = l.data;
          if (m.stats) {
            result.stats = m.stats;
            const signature = progressSignature(m.stats);
            if (signature !== lastSignature) {
              lastSignature = signature;
              lastActivity = Date.now();
            }
            o.onProgress?.(progressOf(m.stats, Date.now() - lastActivity));
          }
          // A dry run copies and deletes nothing: it says what it skips (counted as what it would do).
          if (m.msg?.startsWith("Copied") || m.skipped === "copy") result.copied++;
          if (
            m.msg === "Deleted" ||
            m.msg?.startsWith("Moved into backup dir") ||
            m.skipped === "delete" ||
            m.skipped === "move into backup dir"
          )
            result.deleted++;
          if (m.level === "error" || m.level === "critical")
            lastError = `${m.object ? `${m.object}: ` : ""}${m.msg ?? ""}`;
          else if (m.level === "info" && m.object) lastActivity = Date.now();
        },
      });
    } catch (err) {
      if (err instanceof ToolError && watchdog?.signal.aborted && !o.signal?.aborted) {
        const secs = Math.round(o.stallTimeoutMs! / 1000);
        throw new ToolError(
          `rclone ${verb} made no progress for ${secs} s and was stopped${lastError ? ` (last error: ${lastError})` : ""}`,
          err.command,
          err.toolExitCode,
          err.stderrTail,
          "timeout",
          "The remote stopped answering. Check that it is reachable; the transfer is retried and resumes where it stopped.",
        );
      }
      if (err instanceof ToolError && lastError) {
        throw new ToolError(
          `rclone ${verb} failed: ${lastError}`,
          err.command,
          err.toolExitCode,
          err.stderrTail,
          err.reason,
          err.hint,
        );
      }
      throw err;
    } finally {
      if (timer) clearInterval(timer);
    }
    // rclone's last stats line is its final one; throttled displays would drop it, so it is marked.
    if (result.stats) o.onProgress?.(progressOf(result.stats, 0, true));
    return result;
  }

  private async run(args: string[], call: Pick<RunOptions, "signal" | "timeoutMs" | "onStderrLine" | "input">) {
    const full = this.s.configFile ? ["--config", this.s.configFile, ...args] : args;
    try {
      return await this.runner.run(this.s.binary, full, {
        ...call,
        env: { RCLONE_PASSWORD_COMMAND: undefined },
        child: "rclone",
      });
    } catch (err) {
      throw classifyRclone(err);
    }
  }
}

/** What changes while a transfer makes headway (elapsed time and speed do not count). */
function progressSignature(st: TransferStats): string {
  const x = st as Record<string, unknown>;
  return [
    "bytes",
    "checks",
    "transfers",
    "deletes",
    "deletedDirs",
    "renames",
    "listed",
    "serverSideMoves",
    "serverSideCopies",
    "totalBytes",
    "totalChecks",
    "totalTransfers",
  ]
    .map((k) => String(x[k] ?? ""))
    .join(",");
}

/** rclone failures that have a clear cause get a message and a hint. */
export function classifyRclone(err: unknown): unknown {
  if (!(err instanceof ToolError) || err.reason !== "exit") return err;
  const s = err.stderrTail;
  // Only the remote's name can be unknown: a path that merely ends in "config" (the repository's
  // config file) is not a config problem.
  if (/didn't find section in config file|NotFound.*remote/i.test(s)) {
    const remote = /didn't find section in config file \(\\?"?([^"\\)]+)\\?"?\)/.exec(s)?.[1];
    return Object.assign(
      new AppError(
        `rclone does not know the remote${remote ? ` ${remote}` : ""}`,
        ExitCode.config,
        "Define it with `rclone config`, RCLONE_CONFIG in [cloud_sync], or RCLONE_CONFIG_<NAME>_TYPE=... variables.",
      ),
      { cause: err },
    );
  }
  if (/immutable file modified/i.test(s)) {
    const files = s
      .split("\n")
      .filter((l) => /do not match: immutable file modified/.test(l))
      .map((l) => /"object":"([^"]+)"/.exec(l)?.[1] ?? /([^\s":]+): Source and destination/.exec(l)?.[1])
      .filter(Boolean);
    return Object.assign(
      new AppError(
        `refusing to overwrite repository files on the remote that differ from the local ones${files.length ? ` (${files.slice(0, 5).join(", ")}${files.length > 5 ? ", ..." : ""})` : ""}: restic never rewrites a file, so one side is damaged; nothing was deleted`,
        ExitCode.failed,
        `Run \`${btui("verify --level data")}\` here and \`${btui("verify --remote --level data")}\`. If the local repository is sound, \`${btui("sync --force")}\` replaces the damaged cloud files (the old ones are kept under RCLONE_PATH.deleted).`,
      ),
      { cause: err, kind: "immutable" },
    );
  }
  // Status codes as whole words: restic's file names are hex and often contain "401" or "403".
  if (
    /\b(401|403)\b|unauthori[sz]ed|forbidden|permission denied|authentication failed|unable to authenticate|handshake failed|InvalidAccessKeyId|SignatureDoesNotMatch/i.test(
      s,
    )
  ) {
    return Object.assign(
      new AppError(
        "the remote refused the credentials",
        ExitCode.failed,
        "Check the remote's user, password or keys in the rclone config (rclone config show NAME).",
      ),
      { cause: err, kind: "auth" },
    );
  }
  // Unreachable: stays a ToolError, so the caller retries it.
  const net =
    /connection refused|no route to host|network is unreachable|i\/o timeout|connection reset by peer|no such host|broken pipe|TLS handshake timeout/i.exec(
      s,
    );
  if (net) {
    return new ToolError(
      `rclone could not reach the remote (${net[0].toLowerCase()})`,
      err.command,
      err.toolExitCode,
      err.stderrTail,
      err.reason,
      "Check that the server is up and reachable from this host.",
    );
  }
  return err;
}
