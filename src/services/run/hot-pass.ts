import { lstatTree } from "../../fsops/tree";
import { takesExclusiveLock } from "../fleet/shared";
import type { ServiceContext } from "./context";

/**
 * Below this much data a hot pass cannot shorten a stop: the final pass reads it in milliseconds
 * either way, and the hot pass costs a second restic process (~0.7 s of repository open and key
 * derivation). Above it (bytes or entries, whichever is crossed first) the hot pass runs: for a
 * backup's stop and for a restore's safety snapshot alike.
 */
export const HOT_PASS_MIN = { bytes: 32 << 20, entries: 5000 };

/** Whether the live paths hold enough for a hot pass to pay: counted with lstat, stopping as soon as a limit is crossed. */
export function worthAHotPass(paths: string[], min = HOT_PASS_MIN): boolean {
  if (min.bytes <= 0 || min.entries <= 0) return true;
  let bytes = 0;
  let entries = 0;
  for (const root of paths) {
    try {
      for (const { stat } of lstatTree(root)) {
        bytes += stat.isFile() ? stat.size : 0;
        if (++entries >= min.entries || bytes >= min.bytes) return true;
      }
    } catch {
      // unreadable or vanished: the final pass reports it
    }
  }
  return false;
}

/**
 * Forgets hot passes' snapshots (kind:hot) once their final pass is in. On a shared repository's
 * other hosts forgetting takes the exclusive lock that belongs to the prune host: they are left
 * there, and its housekeeping forgets them (src/services/fleet/housekeeping.ts). False when left.
 */
export async function forgetHotSnapshots(ctx: ServiceContext, ids: string[]): Promise<boolean> {
  if (!ids.length) return true;
  if (!takesExclusiveLock(ctx.config)) {
    ctx.log.info({ ids, pruneHost: ctx.config.fleet.pruneHost }, "hot snapshots left to the prune host");
    return false;
  }
  await ctx.restic.forget({ ids });
  ctx.store.targets.recordForgotten(ids, new Date().toISOString());
  return true;
}
