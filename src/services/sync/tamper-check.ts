import { type SyncTarget, targetWhere } from "../../config/targets";
import type { ServiceContext } from "../run/context";
import { assessTarget } from "./tamper";

/** What the tamper alarm found on a target. */
export interface TamperFinding {
  message: string;
  missing: string[];
  shrunk?: { before: number; now: number };
}

/** What a target holds, as the sync saw it (for a restic target: the ids of its own snapshots). */
export interface TargetObservation {
  snapshots: string[];
  bytes?: number;
  files?: number;
}

/**
 * Before anything is written to a target: what it holds now against what this host saw there
 * after its last good sync (src/state/target-history.ts, src/services/sync/tamper.ts). A loss
 * raises (or updates) the target's alarm, which stays until `--accept-loss` acknowledges it;
 * with --accept-loss the present state is accepted and becomes the reference. A dry run only looks.
 */
export function checkTamper(
  ctx: ServiceContext,
  target: SyncTarget,
  now: TargetObservation,
  o: { acceptLoss?: boolean; dryRun?: boolean },
): { alarm?: TamperFinding; accepted?: TamperFinding } {
  const history = ctx.store.targets;
  const seen = referenceOf(ctx, target);
  const active = history.active(target.name)[0];
  if (!seen && !active) return {};
  const present = new Set(now.snapshots);
  const gone = seen ? [...seen.ids].filter((id) => !present.has(id)) : [];
  const verdict = seen
    ? assessTarget({
        target: target.name,
        mode: target.mode,
        seen: seen.ids,
        seenBytes: seen.bytes,
        remoteIds: now.snapshots,
        remoteBytes: now.bytes,
        // Only the ids gone from the target: the forgotten set can be large.
        forgotten: gone.length ? history.forgotten(gone) : new Set(),
      })
    : ({ ok: true } as const);
  const finding: TamperFinding | undefined = verdict.ok
    ? active && { message: active.message, missing: active.missing }
    : { message: verdict.message, missing: verdict.missing, shrunk: verdict.shrunk };
  if (!finding) return {};
  if (o.acceptLoss) {
    if (!o.dryRun) {
      history.acknowledge(target.name, {
        at: new Date().toISOString(),
        by: process.env.SUDO_USER ?? process.env.USER ?? "unknown",
      });
      rememberTarget(ctx, target, now);
    }
    ctx.log.warn({ target: target.name, missing: finding.missing.length }, "tamper alarm accepted");
    return { accepted: finding };
  }
  if (!o.dryRun)
    history.raise(target.name, {
      at: new Date().toISOString(),
      message: finding.message,
      missing: finding.missing,
      detail: finding.shrunk ? { shrunk: finding.shrunk } : undefined,
    });
  ctx.log.error({ target: target.name, missing: finding.missing.length }, "tamper alarm");
  return { alarm: finding };
}

/** After a good sync: what the target holds is the reference for the next one. */
export function rememberTarget(ctx: ServiceContext, target: SyncTarget, now: TargetObservation): void {
  ctx.store.targets.recordSeen(target.name, now.snapshots, {
    bytes: now.bytes,
    files: now.files,
    at: new Date().toISOString(),
    location: targetWhere(target),
  });
}

/**
 * What this host saw at the target's present place. A target pointed elsewhere since (RCLONE_PATH
 * or RESTIC_REPOSITORY changed) has no reference there yet: the old place's memory says nothing
 * about the new one, so it starts anew (logged). An alarm still active stays until accepted.
 */
function referenceOf(ctx: ServiceContext, target: SyncTarget) {
  const seen = ctx.store.targets.seen(target.name);
  const where = targetWhere(target);
  if (!seen?.location || seen.location === where) return seen;
  ctx.log.warn(
    { target: target.name, was: seen.location, now: where },
    "the target points elsewhere than at its last sync: its tamper reference starts anew",
  );
  return undefined;
}
