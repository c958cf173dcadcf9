import { ensurePasswordFile } from "../config/password-file";
import { finishInterruptedSwaps, SwapJournal } from "../fsops/swap";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";
import { recoverStopped, type RecoverResult } from "./recover";

/**
 * What every run does first, under the repository lock: mark runs of dead processes
 * interrupted, restart what they left stopped, and (embedded default only) make sure the
 * repository and its password exist.
 */
export async function preflight(ctx: ServiceContext, emit: EventSink, signal?: AbortSignal): Promise<RecoverResult> {
  const interrupted = ctx.store.markDeadRunsInterrupted(ctx.owner.host);
  if (interrupted) emit({ type: "warning", message: `${interrupted} earlier run(s) were interrupted (their process is gone)` });
  for (const s of finishInterruptedSwaps(new SwapJournal(ctx.config.stateDir), ctx.owner.host)) {
    const what = s.action === "completed" ? "finished swapping in the restored data" : s.action === "rolled-back" ? "put the previous data back" : "removed leftovers";
    emit({ type: "warning", message: `an interrupted restore of ${s.live} was found: ${what}` });
  }
  const recovered = await recoverStopped(ctx, emit);
  if (recovered.recovered.length) emit({ type: "warning", message: `restarted ${recovered.recovered.join(", ")}, left stopped by an interrupted run` });
  for (const f of recovered.failed) emit({ type: "warning", message: `${f.stack}: ${f.name} left stopped by an interrupted run could not be restarted: ${f.reason}` });
  if (ctx.config.restic.autoInit) {
    const pw = ctx.config.restic.password;
    if (pw.kind === "file" && ensurePasswordFile(pw.path)) {
      emit({ type: "warning", message: `created a repository password at ${pw.path}. Keep a copy somewhere safe: without it every backup is lost.` });
    }
    if ((await ctx.restic.init(signal)) === "created") emit({ type: "info", message: `created the restic repository at ${ctx.config.restic.repository}` });
  }
  return recovered;
}
