import { ExitCode } from "../errors";
import type { ServiceContext } from "../services/run/context";
import { recoverInterrupted, type Recovery } from "../services/run/preflight";
import { withRunLock } from "../services/run/repository-lock";
import type { JobHooks } from "./hooks";

/**
 * `backup-tui recover`: what dead runs left behind, undone under the repository lock (the boot
 * unit runs it). exitCode 4 when a container could not be started again.
 */
export function recoverJob(ctx: ServiceContext, hooks: JobHooks): Promise<Recovery & { exitCode: number }> {
  // The exit code is decided under the lock: a lost lock with a service still down exits 4, not 1.
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async () => {
    const r = await recoverInterrupted(ctx, hooks.emit);
    return { ...r, exitCode: r.failed.length ? ExitCode.serviceDown : ExitCode.ok };
  });
}
