import { AppError, ExitCode } from "../../errors";
import { acquireRepoLock, LockLostError } from "../../state/lock";
import type { ServiceContext } from "./context";

export interface LockWait {
  waitMs?: number;
  onWait?: (message: string) => void;
  /** The lock was removed or replaced while held: stop the run (its abort signal), as SIGTERM does. */
  onLost?: (err: LockLostError) => void;
}

/**
 * Runs fn holding the repository's lock (waiting up to waitMs for another job); always releases it.
 * A run whose lock was lost under it ends with LockLostError (exit 1, or 4 if a service stayed down).
 */
export async function withRepositoryLock<T>(ctx: ServiceContext, o: LockWait, fn: () => Promise<T>): Promise<T> {
  if (o.waitMs) o.onWait?.(`waiting up to ${Math.round(o.waitMs / 1000)} s for the repository lock`);
  const lock = await acquireRepoLock({
    stateDir: ctx.config.stateDir,
    repository: ctx.config.restic.repository,
    owner: ctx.owner,
    waitMs: o.waitMs ?? 0,
    log: ctx.log,
    onLost: o.onLost,
  });
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await fn() };
  } catch (error) {
    outcome = { error };
  } finally {
    await lock.release();
  }
  const lost = lock.lost();
  if (lost) {
    const err = new LockLostError(
      lost.lockFile,
      lost.detail,
      serviceDown(outcome) ? ExitCode.serviceDown : ExitCode.failed,
    );
    if ("value" in outcome) err.result = outcome.value;
    throw err;
  }
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

/**
 * withRepositoryLock for a run that has its own abort signal: fn gets a signal that also aborts
 * when the lock is lost (the TUI's tasks, a backup run).
 */
export async function withRunLock<T>(
  ctx: ServiceContext,
  signal: AbortSignal,
  o: LockWait,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const run = new AbortController();
  const follow = () => run.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener("abort", follow, { once: true });
  try {
    return await withRepositoryLock(ctx, { ...o, onLost: (err) => (run.abort(err), o.onLost?.(err)) }, () =>
      fn(run.signal),
    );
  } finally {
    signal.removeEventListener("abort", follow);
  }
}

/** An exit code of 4 (a service could not be started again) outranks the lost lock's 1. */
function serviceDown(outcome: { value: unknown } | { error: unknown }): boolean {
  if ("error" in outcome) return outcome.error instanceof AppError && outcome.error.exitCode === ExitCode.serviceDown;
  const v = outcome.value as { exitCode?: unknown } | number | undefined;
  return (typeof v === "number" ? v : v?.exitCode) === ExitCode.serviceDown;
}
