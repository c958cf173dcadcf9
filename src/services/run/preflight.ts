import { ensurePasswordFile } from "../../config/password-file";
import { errorMessage } from "../../errors";
import { finishInterruptedSwaps, SwapJournal } from "../../fsops/swap";
import { childRecords } from "../../state/children";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";
import { recoverStopped, type RecoverResult } from "./dead-runs";

export interface Recovery extends RecoverResult {
  interruptedRuns: number;
  /** Processes (restic, rclone...) a dead run left running, now stopped: "restic (pid N)". */
  orphans: string[];
  swaps: Array<{ live: string; action: string }>;
}

/**
 * Undoes what dead runs left behind (call it holding the repository lock): marks their runs
 * interrupted, finishes or rolls back restore swaps, restarts the containers they stopped.
 */
export async function recoverInterrupted(ctx: ServiceContext, emit: EventSink): Promise<Recovery> {
  let interruptedRuns = 0;
  try {
    interruptedRuns = ctx.store.markDeadRunsInterrupted(ctx.owner.host);
  } catch (err) {
    // The run history is a record, not what recovery needs: the journals below are.
    emit({ type: "warning", message: `could not mark interrupted runs in the state database: ${errorMessage(err)}` });
  }
  if (interruptedRuns)
    emit({ type: "warning", message: `${interruptedRuns} earlier run(s) were interrupted (their process is gone)` });
  // First: a restic a killed run left behind must not keep reading volumes while they are restored.
  const orphans = await childRecords(ctx.config.stateDir).reapOrphans();
  if (orphans.length)
    emit({ type: "warning", message: `stopped ${orphans.join(", ")}, left running by an interrupted run` });
  const swaps = await finishInterruptedSwaps(new SwapJournal(ctx.config.stateDir), ctx.owner.host);
  for (const s of swaps) {
    const what =
      s.action === "completed"
        ? "its restored copy was complete and the previous data was in the safety snapshot: finished swapping it in"
        : s.action === "rolled-back"
          ? "put the previous data back"
          : "it had not finished writing its restored copy: the live data was left as it was, the partial copy removed";
    emit({ type: "warning", message: `an interrupted restore of ${s.live} was found: ${what}` });
  }
  const recovered = await recoverStopped(ctx, emit);
  if (recovered.recovered.length)
    emit({
      type: "warning",
      message: `restarted ${recovered.recovered.join(", ")}, left stopped by an interrupted run`,
    });
  if (recovered.snapshotsRemoved.length)
    emit({
      type: "warning",
      message: `deleted ${recovered.snapshotsRemoved.length} filesystem snapshot(s) left by an interrupted run`,
    });
  for (const p of recovered.snapshotsLeft) emit({ type: "warning", message: p });
  for (const f of recovered.failed)
    emit({
      type: "warning",
      message: `${f.stack}: ${f.name} left stopped by an interrupted run could not be restarted: ${f.reason}`,
    });
  for (const g of recovered.gone)
    emit({
      type: "warning",
      message: `${g.stack}: ${g.name}, left stopped by an interrupted run, no longer exists (removed?): nothing to restart; dropped from the recovery journal`,
    });
  return { ...recovered, interruptedRuns, orphans, swaps };
}

/** What every run does first, under the repository lock: recovery, then (embedded default only) the repository and its password. */
export async function preflight(ctx: ServiceContext, emit: EventSink, signal?: AbortSignal): Promise<Recovery> {
  const recovery = await recoverInterrupted(ctx, emit);
  if (ctx.config.restic.autoInit) {
    const pw = ctx.config.restic.password;
    if (pw.kind === "file" && ensurePasswordFile(pw.path)) {
      emit({
        type: "warning",
        message: `created a repository password at ${pw.path}. Keep a copy somewhere safe: without it every backup is lost.`,
      });
    }
    if ((await ctx.restic.init(signal)) === "created")
      emit({ type: "info", message: `created the restic repository at ${ctx.config.restic.repository}` });
  }
  return recovery;
}
