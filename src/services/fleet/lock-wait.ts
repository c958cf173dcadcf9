import { setTimeout as sleep } from "node:timers/promises";
import { parseDuration } from "../../duration";
import { AppError, ExitCode } from "../../errors";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";

/** How often the repository's locks are read again while another host holds the exclusive one. */
const POLL_MS = 2000;

/**
 * Before a stack stops, on a shared repository (PRUNE_HOST set): waits while another host holds
 * restic's exclusive lock (its prune, its check), so the wait happens while the stack still runs
 * and not inside the stop window (restic's own --retry-lock would wait there). Still held after
 * LOCK_WAIT: nothing is stopped, the stack's backup fails as busy (exit 75). A lock taken in the
 * instant between this look and the backup is still waited for by restic.
 */
export async function untilNoExclusiveLock(
  ctx: ServiceContext,
  stack: string,
  emit: EventSink,
  signal?: AbortSignal,
): Promise<void> {
  const { pruneHost, lockWait } = ctx.config.fleet;
  if (!pruneHost) return;
  const deadline = Date.now() + parseDuration(lockWait, "[local_backup] LOCK_WAIT");
  let told = false;
  for (;;) {
    const holder = (await ctx.restic.locks(signal)).locks.find((l) => l.exclusive);
    if (!holder) return;
    const who = `PID ${holder.pid} on ${holder.hostname}`;
    if (Date.now() >= deadline)
      throw new AppError(
        `the shared repository is still locked exclusively by ${who} after LOCK_WAIT ${lockWait}: ${stack} was not stopped`,
        ExitCode.busy,
        `That is ${pruneHost}'s prune or check; run the backup again when it is done, or raise [local_backup] LOCK_WAIT.`,
      );
    if (!told)
      emit({ type: "warning", stack, message: `waiting for ${who} (exclusive lock) before stopping ${stack}` });
    told = true;
    await sleep(POLL_MS, undefined, { signal });
  }
}
