import { hostname } from "node:os";
import { btui } from "../../command-hint";
import { BusyError } from "../../errors";
import { when } from "../../format";
import type { LockInfo } from "../../restic/json";
import { isAlive } from "../../state/process-info";
import type { ServiceContext } from "./context";
import { withRunLock } from "./repository-lock";

export interface UnlockAllResult {
  /** The restic locks there were, each removed. */
  removed: Array<LockInfo & { id: string }>;
  /** Locks whose holder could not be read (damaged, or written that very moment): removed too. */
  unreadable: string[];
}

/**
 * `restic unlock --remove-all`, made safe to run: under our own repository lock (so never while
 * our backup, prune or check runs), and refused while a restic lock belongs to a process that is
 * alive on this host, whatever kind of lock it holds. Locks of other hosts cannot be checked:
 * they are removed and reported, as the user asked. The confirmation is the caller's (the gate).
 */
export async function removeAllLocks(
  ctx: ServiceContext,
  o: { waitMs?: number; onWait?: (m: string) => void; signal?: AbortSignal },
): Promise<UnlockAllResult> {
  // A lost lock aborts the run's signal before restic removes anything (another job may hold it now).
  return withRunLock(
    ctx,
    o.signal ?? new AbortController().signal,
    { waitMs: o.waitMs, onWait: o.onWait },
    async (signal) => {
      const { locks, unreadable } = await ctx.restic.locks(signal);
      const here = hostname();
      const live = locks.filter((l) => l.hostname === here && isAlive(l.pid));
      if (live.length) {
        const who = live
          .map(
            (l) =>
              `PID ${l.pid} (${l.exclusive ? "exclusive" : "shared"} lock since ${when(l.time, true)}${l.username ? `, user ${l.username}` : ""})`,
          )
          .join(", ");
        throw new BusyError(
          `refusing to remove every lock: ${who} on this host is running and holds the repository; nothing was removed`,
          `Let it finish (or stop it) first. Locks of processes that are gone are removed by plain \`${btui("unlock")}\`.`,
        );
      }
      signal.throwIfAborted();
      await ctx.restic.unlock({ removeAll: true, signal });
      return { removed: locks, unreadable };
    },
  );
}
