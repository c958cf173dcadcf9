import { ExitCode } from "../errors";
import type { BackupReport } from "../services/backup/backup";
import type { Stack } from "../docker/discovery";
import { doomsdaySnapshot, type DoomsdayReport } from "../services/doomsday/doomsday";
import type { ServiceContext } from "../services/run/context";
import { withRunLock } from "../services/run/repository-lock";
import { backupHoldingLock } from "./backup";
import type { JobHooks } from "./hooks";

export interface DoomsdayJobReport {
  backup: BackupReport;
  /** None when the stacks' backup stopped the run (a fatal error, an abort). */
  doom?: DoomsdayReport;
  exitCode: number;
}

/**
 * `backup --doomsday`: every stack as stage 1 (the same stop/start care, the same service),
 * then the kind:doomsday snapshot of the rest of the host and the recovery kit. One lock for
 * both: the stacks are read under it, and nothing runs between the two snapshots.
 */
export function doomsdayJob(
  ctx: ServiceContext,
  req: { stacks: Stack[]; parallel: number; trigger: "manual" | "scheduled" },
  hooks: JobHooks,
): Promise<DoomsdayJobReport> {
  const { stacks, parallel, trigger } = req;
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    const b = stacks.length
      ? await backupHoldingLock(ctx, { stacks, trigger, parallel, signal }, hooks.emit)
      : { report: emptyBackup(), stacks: [] };
    // exitCode: what the lock's loss weighs against (a service left down, 4, outranks its 1).
    if (b.report.fatal || signal.aborted) return { backup: b.report, exitCode: b.report.exitCode };
    const doom = await doomsdaySnapshot(ctx, { stacks: b.stacks, backup: b.report, trigger, signal }, hooks.emit);
    return { backup: b.report, doom, exitCode: Math.max(b.report.exitCode, doom.exitCode) };
  });
}

const emptyBackup = (): BackupReport => ({
  runId: 0,
  outcomes: [],
  status: "succeeded",
  exitCode: ExitCode.ok,
  warnings: [],
});
