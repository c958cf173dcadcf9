import { errorMessage } from "../errors";
import type { BackupReport, BackupRequest } from "../services/backup/backup";
import { runBackup } from "../services/backup/backup";
import { backupNotice, lowSpaceGate } from "../services/backup/run";
import { afterRun, beforeRun } from "../services/run/after-run";
import type { ServiceContext } from "../services/run/context";
import type { EventSink } from "../services/run/events";
import { preflight } from "../services/run/preflight";
import { withRunLock } from "../services/run/repository-lock";
import { currentStacks } from "../services/stacks/current";
import { notifyOverdue } from "../services/status/overdue";
import type { JobHooks } from "./hooks";

/** A backup of chosen stacks (or one volume): what the faces decide; the signal comes with the hooks. */
export type BackupJobRequest = Omit<BackupRequest, "signal">;

/**
 * `backup-tui backup`, the TUI's backup: the repository lock, the healthchecks start ping,
 * recovery of dead runs, the low-space gate, the backup, notifications and metrics; a scheduled
 * run then looks for overdue stacks (under timers or cron no daemon watches for them).
 */
export async function backupJob(ctx: ServiceContext, req: BackupJobRequest, hooks: JobHooks): Promise<BackupReport> {
  // A lost lock aborts this signal: the run stops as on SIGTERM, restarting its stacks.
  const report = await withRunLock(
    ctx,
    hooks.signal,
    hooks.lock ?? {},
    async (signal) => (await backupHoldingLock(ctx, { ...req, signal }, hooks.emit)).report,
  );
  if (req.trigger === "scheduled")
    await notifyOverdue(ctx).catch((err) => ctx.log.warn({ err: errorMessage(err) }, "overdue check failed"));
  return report;
}

/**
 * backupJob's run for a caller that holds the repository lock already (the doomsday job). The
 * stacks' states are read here, under the lock and after recovery (`stacks`: as they were before the backup).
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
