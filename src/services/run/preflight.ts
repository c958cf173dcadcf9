import { ensurePasswordFile } from "../../config/password-file";
import { errorMessage } from "../../errors";
import { finishInterruptedSwaps, pendingSafety, SwapJournal } from "../../fsops/swap";
import { takeKeptSafety } from "../restore/safety";
import { childRecords } from "../../state/children";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";
import { forgetHotSnapshots } from "./hot-pass";
import { recoverStopped, type RecoverResult } from "./dead-runs";

export interface Recovery extends RecoverResult {
  interruptedRuns: number;
  /** Processes (restic, rclone...) a dead run left running, now stopped: "restic (pid N)". */
  orphans: string[];
  swaps: Array<{ live: string; action: string }>;
  /** Safety snapshots taken of the data interrupted restores had swapped out and kept aside. */
  keptSafety: string[];
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
  const journal = new SwapJournal(ctx.config.stateDir);
  const swaps = await finishInterruptedSwaps(journal, ctx.owner.host);
  for (const s of swaps) {
    const what =
      s.action === "completed"
        ? "its restored copy was complete and the previous data kept: finished swapping it in"
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
  const keptSafety = await takePendingSafety(ctx, journal, emit);
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
  return { ...recovered, interruptedRuns, orphans, swaps, keptSafety };
}

/**
 * The safety snapshots interrupted restores still owe (restored data live, the data it replaced
 * kept aside), taken once their stacks run again; then the kept data and the hot pass go. A
 * failure keeps the data and says where it is.
 */
async function takePendingSafety(ctx: ServiceContext, journal: SwapJournal, emit: EventSink): Promise<string[]> {
  const taken: string[] = [];
  for (const run of pendingSafety(journal, ctx.owner.host)) {
    const lives = run.map((e) => e.live).join(", ");
    try {
      const id = await takeKeptSafety(ctx, run, journal);
      taken.push(id);
      emit({
        type: "warning",
        message: `took the safety snapshot ${id.slice(0, 8)} (kind:pre-restore) of what an interrupted restore replaced in ${lives}`,
      });
      const hot = run[0].keepOld?.parent;
      if (hot) await forgetHotSnapshots(ctx, [hot]).catch(() => undefined);
    } catch (err) {
      emit({
        type: "warning",
        message: `an interrupted restore replaced ${lives}; the data from before is kept at ${run.map((e) => e.old).join(", ")}, but its safety snapshot failed: ${errorMessage(err)}`,
      });
    }
  }
  return taken;
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
