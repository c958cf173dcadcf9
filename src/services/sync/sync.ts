import { btui } from "../../command-hint";
import { AppError, ExitCode, ToolError, errorMessage } from "../../errors";
import { closeRun, endedWith } from "../run/after-run";
import { localRepoFacts } from "../../fsops/repo-files";
import type { TransferResult } from "../../rclone/rclone";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { assertSameRepository } from "./repo-identity";
import { describeRetry, withRetries } from "../run/retry";
import { assertFewSnapshotsRemoved, snapshotIds } from "./delete-guard";

export interface SyncRequest {
  dryRun?: boolean;
  bwlimit?: string;
  transfers?: number;
  /** Sync even when the local repository looks damaged or much smaller than the remote. */
  force?: boolean;
  retryBaseMs?: number;
  /** Stop an rclone run that makes no progress for this long and retry (default 2 min). */
  stallTimeoutMs?: number;
  signal: AbortSignal;
  now?: Date;
}

export interface SyncReport {
  /** None for a dry run: it changes nothing, so it is not recorded as a sync. */
  runId?: number;
  dryRun?: boolean;
  remote: string;
  attempts: number;
  transfer?: TransferResult;
  verified?: { ok: boolean; differences: string[] };
  localSnapshots: number;
  remoteSnapshots: number;
  purgedDeletedDirs: string[];
  exitCode: number;
}

export function remotePath(ctx: ServiceContext): string {
  const { remote, path } = ctx.config.cloud;
  if (!remote || !path)
    throw new AppError(
      "no cloud remote is configured",
      ExitCode.config,
      "Set RCLONE_REMOTE and RCLONE_PATH in [cloud_sync].",
    );
  return `${remote}:${path}`;
}

/** The local directory of the configured repository, or a clear error for a remote one. */
export function localRepository(ctx: ServiceContext): string {
  const repo = ctx.config.restic.repository;
  if (!repo.startsWith("/")) {
    throw new AppError(
      `RESTIC_REPOSITORY ${repo} is not a local directory: there is nothing to mirror`,
      ExitCode.config,
      "Stage 2 mirrors a local repository; a remote repository is already off the host.",
    );
  }
  return repo;
}

const DATE_DIR = /^(\d{4}-\d{2}-\d{2})\/?$/;

export const DEFAULT_STALL_TIMEOUT_MS = 120_000;

/** A tool failure may pass (network); a classified one (credentials, unknown remote) will not. */
export const retryableRemoteError = (err: unknown) => err instanceof ToolError || !(err instanceof AppError);

/** Once the retries are used up, one message that says what failed, how often, and what to do. */
export function gaveUp(err: unknown, what: string, attempts: number, signal: AbortSignal, hint: string): unknown {
  if (signal.aborted || !retryableRemoteError(err) || attempts < 2) return err;
  return new AppError(
    `${what} failed after ${attempts} attempts: ${errorMessage(err).split("\n")[0]}`,
    ExitCode.failed,
    hint,
    { cause: err },
  );
}

const SYNC_GAVE_UP_HINT =
  "Nothing was changed locally. Check that the remote is up and reachable (`rclone lsd REMOTE:`), then sync again: it resumes where it stopped.";

/**
 * Stage 2: mirrors the local repository to RCLONE_REMOTE:RCLONE_PATH (the caller holds the
 * repository lock, so no backup writes meanwhile). Refuses to push a damaged, foreign or
 * much smaller repository over the cloud copy; keeps what the mirror deletes for
 * KEEP_DELETED_DAYS; retries with backoff; checks the copy afterwards.
 */
export async function syncRepository(ctx: ServiceContext, req: SyncRequest, emit: EventSink): Promise<SyncReport> {
  const repo = localRepository(ctx);
  const remote = remotePath(ctx);
  const cloud = ctx.config.cloud;
  // A dry run is not a sync: recorded, it would be the "last sync" that status and the metrics show.
  const runId = req.dryRun ? undefined : ctx.store.startRun("sync", "manual", ctx.owner);
  const startedAt = new Date().toISOString();
  const report: SyncReport = {
    runId,
    dryRun: !!req.dryRun,
    remote,
    attempts: 0,
    localSnapshots: 0,
    remoteSnapshots: 0,
    purgedDeletedDirs: [],
    exitCode: ExitCode.ok,
  };
  try {
    const local = localRepoFacts(repo);
    if (!local.exists)
      throw new AppError(
        `no restic repository at ${repo}: there is nothing to mirror`,
        ExitCode.failed,
        `Nothing was sent. On a host that has backed up, check RESTIC_REPOSITORY in [local_backup]; on a new host whose backups are in the cloud copy, bring it back first with \`${btui(`restore ${repo}`)}\`; on a new setup, back up first (\`${btui("backup")}\`).`,
      );
    report.localSnapshots = local.snapshots;

    emit({ type: "phase", stack: "*", phase: "connect", detail: remote });
    const retries = {
      attempts: cloud.retries,
      baseMs: req.retryBaseMs ?? 2000,
      signal: req.signal,
      retryable: retryableRemoteError,
    };
    let connectAttempts = 0;
    const remoteConfig = await withRetries(
      async (attempt) => {
        connectAttempts = attempt;
        const config = await ctx.rclone.cat(`${remote}/config`, { signal: req.signal, timeoutMs: 120_000 });
        const snapshots =
          config === undefined ? [] : snapshotIds(await ctx.rclone.lsf(`${remote}/snapshots`, { signal: req.signal }));
        return { config, snapshots };
      },
      {
        ...retries,
        onRetry: (attempt, waitMs, err) =>
          emit({ type: "warning", message: `connecting to ${remote}: ${describeRetry(attempt, waitMs, err)}` }),
      },
    ).catch((err) => {
      throw gaveUp(err, `connecting to ${remote}`, connectAttempts, req.signal, SYNC_GAVE_UP_HINT);
    });
    assertSameRepository(
      { where: repo, config: local.config },
      { where: remote, config: remoteConfig.config },
      "Each repository (each host) needs its own RCLONE_PATH; mirroring would overwrite the other one. Choose another path.",
    );
    report.remoteSnapshots = remoteConfig.snapshots.length;

    if (!req.force) {
      // By snapshot ID, before the (slow) check: an emptied repository passes `restic check`.
      assertFewSnapshotsRemoved({
        remote,
        remoteIds: remoteConfig.snapshots,
        localIds: snapshotIds(local.snapshotFiles),
        maxDeletePercent: cloud.maxDeletePercent,
        repo,
      });
      emit({ type: "phase", stack: "*", phase: "check-local" });
      const check = await ctx.restic.check({ signal: req.signal, timeoutMs: cloud.syncTimeoutSec * 1000 });
      if (!check.ok) {
        throw new AppError(
          "the local repository fails `restic check`: not pushing it over the cloud copy",
          ExitCode.failed,
          `Repair it (restic repair index / repair snapshots), or restore it from the cloud with \`${btui(`restore ${repo}`)}\`. Details:\n${check.output.trim().split("\n").slice(-5).join("\n")}`,
        );
      }
    }

    const day = (req.now ?? new Date()).toISOString().slice(0, 10);
    const deletedRoot = `${remote.replace(/\/+$/, "")}.deleted`;
    emit({ type: "phase", stack: "*", phase: "transfer", detail: `${repo} → ${remote}` });
    report.transfer = await withRetries(
      (attempt) => {
        report.attempts = attempt;
        return ctx.rclone.sync(repo, remote, {
          transfers: req.transfers ?? cloud.transfers,
          bwlimit: req.bwlimit ?? cloud.bandwidth,
          backupDir: cloud.keepDeletedDays > 0 ? `${deletedRoot}/${day}` : undefined,
          immutable: !req.force,
          dryRun: req.dryRun,
          timeoutMs: cloud.syncTimeoutSec * 1000,
          stallTimeoutMs: req.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
          signal: req.signal,
          onProgress: (progress) => emit({ type: "transfer", what: "sync", attempt, progress }),
        });
      },
      {
        ...retries,
        onRetry: (attempt, waitMs, err) =>
          emit({ type: "warning", message: `sync ${describeRetry(attempt, waitMs, err)}` }),
      },
    ).catch((err) => {
      throw gaveUp(err, `sync to ${remote}`, report.attempts, req.signal, SYNC_GAVE_UP_HINT);
    });

    if (!req.dryRun) {
      emit({ type: "phase", stack: "*", phase: "compare" });
      report.verified = await ctx.rclone.check(repo, remote, {
        signal: req.signal,
        timeoutMs: cloud.syncTimeoutSec * 1000,
      });
      if (!report.verified.ok) report.exitCode = ExitCode.failed;
      report.purgedDeletedDirs = await purgeOldDeleted(
        ctx,
        deletedRoot,
        cloud.keepDeletedDays,
        req.now ?? new Date(),
        req.signal,
      );
    }
    const error =
      report.verified?.ok === false
        ? `cloud copy differs: ${report.verified.differences.slice(0, 10).join("; ")}`
        : undefined;
    const lines = [
      `${req.dryRun ? "dry run: " : ""}${report.transfer?.copied ?? 0} file(s) copied, ${report.transfer?.deleted ?? 0} removed, to ${remote}`,
    ];
    if (runId !== undefined)
      await closeRun(ctx, {
        kind: "sync",
        runId,
        startedAt,
        status: report.exitCode ? "failed" : "succeeded",
        exitCode: report.exitCode,
        error,
        summary: report,
        lines,
      });
    return report;
  } catch (err) {
    if (runId !== undefined)
      await closeRun(ctx, {
        kind: "sync",
        runId,
        startedAt,
        ...endedWith(req.signal),
        error: errorMessage(err),
        summary: report,
        lines: [`sync to ${remote} ${req.signal.aborted ? "interrupted" : "failed"}`],
      });
    throw err;
  }
}

/** Removes RCLONE_PATH.deleted/YYYY-MM-DD folders older than the keep period. */
async function purgeOldDeleted(
  ctx: ServiceContext,
  root: string,
  keepDays: number,
  now: Date,
  signal?: AbortSignal,
): Promise<string[]> {
  if (keepDays <= 0) return [];
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const purged: string[] = [];
  for (const entry of await ctx.rclone.lsf(root, { dirsOnly: true, signal })) {
    const m = DATE_DIR.exec(entry);
    if (!m || Date.parse(`${m[1]}T00:00:00Z`) >= cutoff) continue;
    await ctx.rclone.purge(`${root}/${m[1]}`, { signal });
    purged.push(m[1]);
  }
  return purged;
}
