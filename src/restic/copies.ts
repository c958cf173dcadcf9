// Which snapshots of one repository another holds a copy of. `restic copy` sets `original` on each
// copy: the source's own `original` when it has one (a snapshot `restic tag` rewrote), else its id.
import type { Snapshot } from "./json";

type Ids = Pick<Snapshot, "id" | "original">;

/** What stays the same for a snapshot across `restic tag` rewrites and `restic copy`. */
export function persistentId(s: Ids): string {
  return s.original ?? s.id;
}

/**
 * The ids to record as forgotten for snapshots removed for good: each one's own and the one its
 * copies elsewhere carry (a MODE=restic target's copies are known by it). Not for a `restic tag`
 * rewrite: the snapshot lives on under a new id with the same original.
 */
export function forgottenIds(removed: Ids[]): string[] {
  return [...new Set(removed.flatMap((s) => [s.id, persistentId(s)]))];
}

/** The snapshots of `source` of which `target` holds no copy, in source order. */
export function lackingCopies<T extends Ids>(source: T[], target: Ids[]): T[] {
  const held = new Set(target.flatMap((t) => [t.id, persistentId(t)]));
  return source.filter((s) => !held.has(persistentId(s)) && !held.has(s.id));
}

/** The copy of `source` in `target` (the newest when there are several), if any. */
export function copyOf<T extends Ids & { time: string }>(source: Ids, target: T[]): T | undefined {
  const key = persistentId(source);
  return target
    .filter((t) => t.id === source.id || persistentId(t) === key)
    .sort((a, b) => a.time.localeCompare(b.time))
    .pop();
}
