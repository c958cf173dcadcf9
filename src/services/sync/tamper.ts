import type { SyncMode } from "../../config/targets";
import { format } from "../../format";

// The tamper alarm's judgement (pure: the sync reads the target and the state store, then asks).
// A target that lost snapshots this host did not forget, or shrank far below its size at the last
// good sync, has been changed by someone else: the sync refuses to go on for it.

export interface TargetAssessment {
  target: string;
  mode: SyncMode;
  /** The snapshot ids seen at the target after its last good sync (empty: the first sync). */
  seen: Set<string>;
  /** The target's size in bytes then, when measured. */
  seenBytes?: number;
  /** The snapshot ids at the target now. */
  remoteIds: string[];
  /** Its size in bytes now, when measured. */
  remoteBytes?: number;
  /** Snapshot ids this host forgot or deleted itself (store.targets.forgotten(gone ids)). */
  forgotten: Set<string>;
  /** The share of its size the target may lose between syncs before it counts as shrunk (default 0.5). */
  shrinkLimit?: number;
}

export type TamperVerdict =
  | { ok: true }
  | {
      ok: false;
      /** Seen there before, gone now, and not forgotten by this host (sorted). */
      missing: string[];
      shrunk?: { before: number; now: number };
      /** The user's sentence. */
      message: string;
    };

export const DEFAULT_SHRINK_LIMIT = 0.5;
const SHOWN_IDS = 3;

/**
 * Whether the target still holds what this host left there.
 * - missing: seen − now at the target − forgotten. A MODE=restic target's copies are seen by the
 *   ids of their originals, so this host's forgets explain copies that remote retention removed.
 * - shrunk: the target is below (1 − shrinkLimit) × its size at the last good sync, and no snapshot
 *   gone from it was forgotten by this host (a forget and prune here, mirrored there, explains a
 *   shrink). Unmeasured sizes are never shrunk.
 * - A first sync (nothing seen yet) is ok.
 */
export function assessTarget(a: TargetAssessment): TamperVerdict {
  if (!a.seen.size && a.seenBytes === undefined) return { ok: true };
  const now = new Set(a.remoteIds);
  const gone = [...a.seen].filter((id) => !now.has(id));
  const missing = gone.filter((id) => !a.forgotten.has(id)).sort();
  const forgetExplains = gone.some((id) => a.forgotten.has(id));
  const limit = a.shrinkLimit ?? DEFAULT_SHRINK_LIMIT;
  const shrunk =
    a.seenBytes !== undefined &&
    a.remoteBytes !== undefined &&
    !forgetExplains &&
    a.remoteBytes < (1 - limit) * a.seenBytes
      ? { before: a.seenBytes, now: a.remoteBytes }
      : undefined;
  if (!missing.length && !shrunk) return { ok: true };
  const parts: string[] = [];
  if (missing.length) parts.push(`lost ${lostSnapshots(missing)} you did not forget (${shortIds(missing)})`);
  if (shrunk) parts.push(`is ${format.bytes(shrunk.now)}, down from ${format.bytes(shrunk.before)} at the last sync`);
  return {
    ok: false,
    missing,
    ...(shrunk ? { shrunk } : {}),
    message: `the copy at ${a.target} ${parts.join(" and ")}`,
  };
}

const lostSnapshots = (ids: string[]) => `${ids.length} snapshot${ids.length === 1 ? "" : "s"}`;

function shortIds(ids: string[]): string {
  const shown = ids.slice(0, SHOWN_IDS).map((id) => id.slice(0, 8));
  return ids.length > SHOWN_IDS ? `${shown.join(", ")}, …` : shown.join(", ");
}
