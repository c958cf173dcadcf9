import { AppError, ExitCode, errorMessage } from "../../errors";
import type { RunNotice } from "../../notify/message";
import { format } from "../../format";
import { afterRun, beforeRun } from "../run/after-run";
import { runBackup, type BackupReport, type BackupRequest } from "./backup";
import type { ServiceContext } from "../run/context";
import { currentStacks } from "../stacks/current";
import type { EventSink } from "../run/events";
import { withRunLock, type LockWait } from "../run/repository-lock";
import { preflight } from "../run/preflight";
import { enforceSpace, freeSpace, isLocalRepository, spaceLines } from "../retention/space-budget";

/**
 * A whole backup run as the CLI, the TUI and the daemon do it: the repository lock, the
 * healthchecks start ping, recovery of dead runs, the backup, notifications and metrics.
 */
export async function lockedBackup(
  ctx: ServiceContext,
  req: BackupRequest,
  o: LockWait,
  emit: EventSink,
): Promise<BackupReport> {
  // A lost lock aborts this signal: the run stops as on SIGTERM, restarting its stacks.
  return withRunLock(
    ctx,
    req.signal,
    o,
    async (signal) => (await backupHoldingLock(ctx, { ...req, signal }, emit)).report,
  );
}

/**
 * lockedBackup's run for a caller that holds the repository lock already. The stacks' states
 * are read here, under the lock and after recovery (`stacks`: as they were before the backup).
 */
export async function backupHoldingLock(
  ctx: ServiceContext,
  req: BackupRequest,
  emit: EventSink,
): Promise<{ report: BackupReport; stacks: BackupRequest["stacks"] }> {
  const startedAt = new Date().toISOString();
  await beforeRun(ctx);
  await preflight(ctx, emit, req.signal);
  await lowSpaceGate(ctx, emit, startedAt, req.signal);
  const current = await currentStacks(ctx, req, emit);
  const report = await runBackup(ctx, { ...req, ...current }, emit);
  ctx.log.info(
    { runId: report.runId, status: report.status, exitCode: report.exitCode, outcomes: report.outcomes },
    "backup run finished",
  );
  await afterRun(ctx, backupNotice(ctx, report, startedAt));
  return { report, stacks: current.stacks };
}

export function backupNotice(ctx: ServiceContext, r: BackupReport, startedAt: string): RunNotice {
  return {
    kind: "backup",
    runId: r.runId,
    status: r.status,
    host: ctx.config.hostname,
    exitCode: r.exitCode,
    lines: r.outcomes.map((o) =>
      o.status === "failed"
        ? `${o.stack}: FAILED ${o.error?.split("\n")[0] ?? ""}`
        : o.status === "interrupted"
          ? `${o.stack}: interrupted, downtime ${format.ms(o.downtimeMs)}`
          : `${o.stack}: ${o.status}, downtime ${format.ms(o.downtimeMs)}, +${format.bytes(o.bytesAdded)}, snapshot ${o.snapshotId?.slice(0, 8)}`,
    ),
    error: [r.fatal === undefined ? "" : errorMessage(r.fatal), ...r.warnings].filter(Boolean).join("\n") || undefined,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

/** A local repository's filesystem under MIN_FREE_PERCENT: what LOW_SPACE_ACTION makes of it (undefined: room enough, or nothing to measure). */
export function lowSpace(ctx: ServiceContext): { message: string; action: "prune" | "skip" } | undefined {
  const floor = ctx.config.space.minFreePercent;
  if (floor === undefined || !isLocalRepository(ctx.config.restic.repository)) return undefined;
  let percent: number;
  try {
    percent = freeSpace(ctx.config.restic.repository).percent;
  } catch {
    return undefined; // no repository yet: nothing to measure
  }
  if (percent >= floor) return undefined;
  return {
    message: `only ${percent.toFixed(1)}% of the repository's filesystem is free (MIN_FREE_PERCENT ${floor}%)`,
    action: ctx.config.space.lowSpaceAction === "prune" ? "prune" : "skip",
  };
}

/** The backup's refusal for low space (LOW_SPACE_ACTION=skip): the run's, and the dry run's. */
export function lowSpaceRefusal(message: string): AppError {
  return new AppError(
    `backup skipped: ${message}`,
    ExitCode.failed,
    "Free space on that filesystem, lower MIN_FREE_PERCENT, or set LOW_SPACE_ACTION=prune to make room by forgetting the oldest unprotected snapshots.",
  );
}

/**
 * Before a backup, a local repository's filesystem under MIN_FREE_PERCENT: LOW_SPACE_ACTION=skip
 * refuses the backup (recorded, urgent notification), prune forgets the oldest unprotected
 * snapshots at once (no NOTIFY_BEFORE_DELETE delay) and goes on.
 */
async function lowSpaceGate(
  ctx: ServiceContext,
  emit: EventSink,
  startedAt: string,
  signal: AbortSignal,
): Promise<void> {
  const low = lowSpace(ctx);
  if (!low) return;
  if (low.action === "prune") {
    emit({ type: "warning", stack: "*", message: `${low.message}: forgetting the oldest unprotected snapshots first` });
    const r = await enforceSpace(ctx, { immediate: true, signal });
    for (const line of spaceLines(r)) emit({ type: "warning", stack: "*", message: line });
    return;
  }
  const refusal = lowSpaceRefusal(low.message);
  ctx.store.recordSkipped("backup", ctx.store.currentJob(), refusal.message, ctx.owner);
  await afterRun(ctx, {
    kind: "backup",
    status: "failed",
    host: ctx.config.hostname,
    exitCode: ExitCode.failed,
    lines: [refusal.message],
    startedAt,
    finishedAt: new Date().toISOString(),
  });
  throw refusal;
}
