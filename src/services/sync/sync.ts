import { AppError, ExitCode, errorMessage } from "../../errors";
import { DEFAULT_TARGET, type SyncMode, type SyncTarget, targetWhere } from "../../config/targets";
import { localRepoFacts } from "../../fsops/repo-files";
import type { TransferResult } from "../../rclone/rclone";
import { persistentId } from "../../restic/copies";
import { closeRun, endedWith } from "../run/after-run";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { snapshotIds } from "./delete-guard";
import {
  guardRcloneTarget,
  inspectRcloneTarget,
  noLocalRepositoryHint,
  type RcloneTargetRequest,
  transferToRcloneTarget,
} from "./rclone-target";
import { copyToResticTarget } from "./restic-target";
import { checkTamper, rememberTarget, type TamperFinding, type TargetObservation } from "./tamper-check";

export interface SyncRequest extends RcloneTargetRequest {
  /** The tamper alarm of this target was looked at and its loss is accepted (the caller confirmed it). */
  acceptLoss?: boolean;
}

/** One target's sync: what was written there, whether the copy matches, what the tamper alarm found. */
export interface SyncReport {
  /** None for a dry run: it changes nothing, so it is not recorded as a sync. */
  runId?: number;
  dryRun?: boolean;
  target: string;
  mode: SyncMode;
  /** Where the copy is (credentials masked). */
  remote: string;
  attempts: number;
  transfer?: TransferResult;
  /** MODE=restic: the snapshots copied (or, for a dry run, to copy), and whether the target was created. */
  copied?: Array<{ source: string; copy?: string }>;
  created?: boolean;
  verified?: { ok: boolean; differences: string[] };
  localSnapshots: number;
  remoteSnapshots: number;
  purgedDeletedDirs: string[];
  /** The copy lost snapshots this host did not forget, or shrank: nothing was written there. */
  tamper?: TamperFinding;
  /** A tamper finding accepted by --accept-loss before this sync. */
  acceptedLoss?: TamperFinding;
  /** Why this target failed (the others went on), and what to do about it. */
  error?: string;
  hint?: string;
  exitCode: number;
}

/** [cloud_sync]'s rclone remote:path (the default target's), for pull and the recovery kit. */
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
      `RESTIC_REPOSITORY ${repo} is not a local directory: there is nothing to copy`,
      ExitCode.config,
      "Stage 2 copies a local repository; a remote repository is already off the host.",
    );
  }
  return repo;
}

/** The local repository's `restic check`, once per sync whatever the number of targets. */
export function localCheckOnce(ctx: ServiceContext, signal: AbortSignal, emit: EventSink): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
      emit({ type: "phase", stack: "*", phase: "check-local" });
      const check = await ctx.restic.check({ signal, timeoutMs: ctx.config.cloud.syncTimeoutSec * 1000 });
      if (!check.ok)
        throw new AppError(
          "the local repository fails `restic check`: not copying it over the cloud copy",
          ExitCode.failed,
          `Repair it (restic repair index / repair snapshots), or restore it from a copy with \`backup-tui restore ${ctx.config.restic.repository}\`. Details:\n${check.output.trim().split("\n").slice(-5).join("\n")}`,
        );
    })());
}

/**
 * Stage 2, one target: the caller holds the repository lock (no backup writes meanwhile). Looks
 * at the target first: a copy that lost snapshots this host did not forget, or shrank, raises
 * the tamper alarm and nothing is written there. Then refuses to write a damaged, foreign or (a
 * mirror) much smaller repository over it, writes it by its mode with retries, and compares.
 * A refusal or failure is the report's `error` (recorded, notified); an interruption, or a bug,
 * is thrown.
 */
export async function syncTarget(
  ctx: ServiceContext,
  target: SyncTarget,
  req: SyncRequest,
  emit: EventSink,
  checkLocal: () => Promise<void> = localCheckOnce(ctx, req.signal, emit),
): Promise<SyncReport> {
  const remote = targetWhere(target);
  // A dry run is not a sync: recorded, it would be the "last sync" that status and the metrics show.
  const runId = req.dryRun ? undefined : ctx.store.startRun("sync", "manual", ctx.owner, { stack: target.name });
  const startedAt = new Date().toISOString();
  const report: SyncReport = {
    runId,
    dryRun: !!req.dryRun,
    target: target.name,
    mode: target.mode,
    remote,
    attempts: 0,
    localSnapshots: 0,
    remoteSnapshots: 0,
    purgedDeletedDirs: [],
    exitCode: ExitCode.ok,
  };
  const close = (status: "succeeded" | "failed" | "interrupted", exitCode: number, error?: string) =>
    runId === undefined
      ? Promise.resolve()
      : closeRun(ctx, {
          kind: "sync",
          runId,
          startedAt,
          status,
          exitCode,
          error,
          summary: report,
          lines: [syncLine(report, status)],
        });
  try {
    const repo = localRepository(ctx);
    const local = localRepoFacts(repo);
    if (!local.exists)
      throw new AppError(
        `no restic repository at ${repo}: there is nothing to copy`,
        ExitCode.failed,
        noLocalRepositoryHint(repo),
      );
    report.localSnapshots = local.snapshots;
    if (target.mode === "restic") {
      await syncResticTarget(ctx, target, req, emit, checkLocal, report);
      await close(report.exitCode ? "failed" : "succeeded", report.exitCode);
      return report;
    }
    emit({
      type: "phase",
      stack: "*",
      phase: "connect",
      detail: target.name === DEFAULT_TARGET ? remote : `${remote} (${target.name})`,
    });
    const before = await inspectRcloneTarget(ctx, target, req, emit);
    report.remoteSnapshots = before.snapshots.length;
    refuseTampered(ctx, target, before, req, report);
    await guardRcloneTarget(
      target,
      before,
      { repo, config: local.config, snapshotIds: snapshotIds(local.snapshotFiles) },
      req,
      checkLocal,
    );
    const written = await transferToRcloneTarget(ctx, target, repo, req, emit);
    Object.assign(report, written);
    if (report.verified && !report.verified.ok) report.exitCode = ExitCode.failed;
    if (!req.dryRun && report.exitCode === ExitCode.ok) {
      const after = await inspectRcloneTarget(ctx, target, req, emit);
      report.remoteSnapshots = after.snapshots.length;
      rememberTarget(ctx, target, after);
    }
    const error =
      report.verified?.ok === false
        ? `the copy at ${target.name} differs: ${report.verified.differences.slice(0, 10).join("; ")}`
        : undefined;
    report.error = error;
    await close(report.exitCode ? "failed" : "succeeded", report.exitCode, error);
    return report;
  } catch (err) {
    const ended = endedWith(req.signal, err instanceof AppError ? err.exitCode : ExitCode.failed);
    report.exitCode = ended.exitCode;
    report.error = errorMessage(err);
    report.hint = err instanceof AppError ? err.hint : undefined;
    await close(ended.status, ended.exitCode, report.error);
    // Interrupted: no other target is started. Failed: the report says why, the next target goes on.
    if (req.signal.aborted || !(err instanceof AppError)) throw err;
    return report;
  }
}

/** MODE=restic: the tamper check on the target's own snapshots, the local check, then `restic copy` of what it lacks. */
async function syncResticTarget(
  ctx: ServiceContext,
  target: SyncTarget,
  req: SyncRequest,
  emit: EventSink,
  checkLocal: () => Promise<void>,
  report: SyncReport,
): Promise<void> {
  emit({ type: "phase", stack: "*", phase: "connect", detail: `${report.remote} (${target.name})` });
  const restic = ctx.resticFor(target.repository ?? "", target.password);
  // A target that does not open (wrong password, down) is left to the copy, which says so clearly.
  const before = await restic
    .probe(req.signal)
    .then(async (state) => (state === "exists" ? await restic.snapshots({ signal: req.signal }) : []))
    .catch(() => undefined);
  report.remoteSnapshots = before?.length ?? 0;
  // The reference names the copies by their originals (this host's ids: its forgets explain a
  // copy removed by remote retention); one kept by an older version names their own ids.
  if (before) refuseTampered(ctx, target, { snapshots: before.flatMap((s) => [s.id, persistentId(s)]) }, req, report);
  if (!req.force) await checkLocal();
  const r = await copyToResticTarget(
    ctx,
    target,
    { dryRun: req.dryRun, signal: req.signal, timeoutMs: ctx.config.cloud.syncTimeoutSec * 1000 },
    emit,
  );
  report.created = r.created;
  report.copied = req.dryRun ? r.missing.map((source) => ({ source })) : r.copied;
  report.remoteSnapshots = req.dryRun ? report.remoteSnapshots : r.targetSnapshots.length;
  if (!req.dryRun) rememberTarget(ctx, target, { snapshots: r.targetOriginals });
}

/** The tamper alarm: a loss raises it and nothing is written to the target (exit 1); --accept-loss accepts it. */
function refuseTampered(
  ctx: ServiceContext,
  target: SyncTarget,
  now: TargetObservation,
  req: SyncRequest,
  report: SyncReport,
): void {
  const tamper = checkTamper(ctx, target, now, { acceptLoss: req.acceptLoss, dryRun: req.dryRun });
  if (tamper.accepted) report.acceptedLoss = tamper.accepted;
  if (!tamper.alarm) return;
  report.tamper = tamper.alarm;
  throw new AppError(
    tamper.alarm.message,
    ExitCode.failed,
    `Nothing was written to ${target.name} and nothing more deleted there. Find out what happened to the copy (its provider's logs, versions or Object Lock); \`backup-tui verify --remote ${target.name}\` checks what is left. Once understood, \`backup-tui sync --to ${target.name} --accept-loss\` makes this state the new reference${target.mode === "mirror" ? " (the next sync then puts back what the local repository still has)" : ""}.`,
  );
}

/** The run's one line for history and notifications. */
function syncLine(r: SyncReport, status: string): string {
  if (r.tamper) return `TAMPER ALARM: ${r.tamper.message}`;
  if (status !== "succeeded") return `sync to ${r.target} (${r.remote}) ${status}`;
  if (r.copied) return `${r.copied.length} snapshot(s) copied to ${r.target} (${r.remote})`;
  return `${r.transfer?.copied ?? 0} file(s) copied, ${r.transfer?.deleted ?? 0} removed, to ${r.target} (${r.remote})`;
}
