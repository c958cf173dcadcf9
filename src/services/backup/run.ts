// What a backup run needs besides the backup itself: its notice, the low-space gate. The run as a
// whole (lock, preflight, backup, after-run) is the backup job in src/usecases/backup.ts.
import { AppError, ExitCode, errorMessage } from "../../errors";
import type { RunNotice } from "../../notify/message";
import { format } from "../../format";
import { afterRun } from "../run/after-run";
import type { BackupReport } from "./backup";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { enforceSpace, freeSpace, isLocalRepository, spaceLines } from "../retention/space-budget";

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
 * The backup job's gate (src/usecases/backup.ts), under the lock after preflight.
 * Before a backup, a local repository's filesystem under MIN_FREE_PERCENT: LOW_SPACE_ACTION=skip
 * refuses the backup (recorded, urgent notification), prune forgets the oldest unprotected
 * snapshots at once (no NOTIFY_BEFORE_DELETE delay) and goes on.
 */
export async function lowSpaceGate(
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
